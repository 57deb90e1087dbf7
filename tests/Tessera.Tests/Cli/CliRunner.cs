// Runs the `tessera` command line in-process and captures what it prints.

using Tessera.Cli;

namespace Tessera.Tests.Cli;

internal static class CliRunner
{
    public static (int ExitCode, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = TesseraCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
