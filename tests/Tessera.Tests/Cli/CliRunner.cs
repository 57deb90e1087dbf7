// Runs the `tessera` command line in-process and captures what it prints; optionally with standard input and a
// HubEnvironment (a fake home and variables). Without one, an empty temporary home: a test never reads this machine's
// model folders (~/.cache, ~/.ollama) nor reaches the network.

using Tessera.Cli;
using Tessera.Hub;

namespace Tessera.Tests.Cli;

internal static class CliRunner
{
    public static (int ExitCode, string Out, string Err) Run(params string[] args) => RunWith(null, null, args);

    public static (int ExitCode, string Out, string Err) RunWith(HubEnvironment? hub, string? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = TesseraCommand.Run(args, stdout, stderr, new StringReader(stdin ?? ""), hub ?? new HubEnvironment(TestModels.TempPath("home")));
        return (code, stdout.ToString(), stderr.ToString());
    }
}
