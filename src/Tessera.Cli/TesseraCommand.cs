// The root of the `tessera` command line: subcommands, and the rule that a failure is one line on stderr with exit
// code 1, never a stack trace (set TESSERA_DEBUG=1 to see one).

using System.CommandLine;
using System.CommandLine.Help;
using Tessera.Cli.Commands;
using Tessera.Chat.Harmony;
using Tessera.Gguf;
using Tessera.Hub;

namespace Tessera.Cli;

/// <summary>Builds and runs the <c>tessera</c> command line.</summary>
public static class TesseraCommand
{
    /// <summary>Runs the command line with the given output streams; returns the exit code. <paramref name="hub"/> says
    /// where models are searched and downloaded (default: this process's home and environment variables).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null, HubEnvironment? hub = null)
    {
        stdin ??= Console.In;
        hub ??= HubEnvironment.Current;
        var root = Build(stdout, stderr, stdin, hub);
        var chat = root.Subcommands.Single(c => c.Name == "chat");
        try
        {
            // Nothing typed: the list of commands, as git and llama.cpp show it, with the exit code of a usage error.
            if (args.Length == 0)
            {
                root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
                return 1;
            }
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
            {
                // In words, without the .NET type the value was meant to become; then where the options are listed.
                var errors = parsed.Errors.Count > 1 ? parsed.Errors.Where(e => !e.Message.StartsWith("Required command", StringComparison.Ordinal)) : parsed.Errors;
                foreach (var error in errors) stderr.WriteLine("error: " + ParseErrors.Describe(error));
                var path = string.Join(' ', parsed.CommandResult.Command == root ? ["tessera"] : new[] { "tessera", parsed.CommandResult.Command.Name });
                stderr.WriteLine($"{path} --help lists the options");
                return 1;
            }
            // ProcessTerminationTimeout turns Ctrl+C and SIGTERM into the actions' CancellationToken (`serve` stops
            // cleanly, `run` stops generating); a configuration made here has none unless it is set. chat handles
            // Ctrl+C itself (it stops the answer, not the program), so it gets none.
            var configuration = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = parsed.CommandResult.Command == chat ? null : TimeSpan.FromSeconds(5),
            };
            return parsed.Invoke(configuration);
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("TESSERA_DEBUG") != "1")
        {
            stderr.WriteLine("error: " + Describe(e));
            return 1;
        }
    }

    /// <summary>The command tree: the root named <c>tessera</c> and every subcommand, writing to the given streams.</summary>
    internal static Command Build(TextWriter stdout, TextWriter stderr, TextReader stdin, HubEnvironment hub) =>
        // A plain command named "tessera" as the root, not RootCommand, whose name is the executable's (Tessera.Cli when
        // run with dotnet run or as the published file): usage lines say `tessera`, as the tool is called.
        new("tessera", "Tessera: run OpenAI's gpt-oss models locally")
        {
            new HelpOption(),
            new VersionOption(),
            MakeTestModelCommand.Create(stdout),
            InspectCommand.Create(stdout, stderr, hub),
            TokenizeCommand.Create(stdout, stderr, stdin, hub),
            RenderCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr, stdin, hub),
            ChatCommand.Create(stdout, stderr, stdin, hub),
            PullCommand.Create(stdout, stderr, hub),
            ListCommand.Create(stdout, hub),
            LogitsCommand.Create(stdout, stderr, hub),
            ServeCommand.Create(stdout, stderr, hub),
            BenchCommand.Create(stdout, stderr, hub),
            PlanCommand.Create(stdout, stderr, hub),
        };

    /// <summary>One line for the user: what failed and, for file errors, where.</summary>
    internal static string Describe(Exception e) => e switch
    {
        CliException c => c.Message,
        GgufFormatException { EndsEarly: true } g => $"the model file ends too early: it is truncated (an interrupted download?) or corrupt; {g.Message}",
        GgufFormatException { Field: "magic" } => "not a GGUF file: its first four bytes are not \"GGUF\" (give a .gguf model file)",
        GgufFormatException g => $"not a valid GGUF file: {g.Message}",
        HarmonyRenderException h => h.Message,
        Inference.ContextOverflowException o => o.Message,
        OperationCanceledException => "cancelled",
        HttpRequestException h => $"network error: {h.Message}",
        NotSupportedException n => n.Message,
        Backends.Cuda.CudaUnavailableException c => c.Message,
        Backends.Cuda.CudaException c => $"GPU error: {c.Message}",
        FileNotFoundException f when f.Message.Contains("is a directory", StringComparison.Ordinal) => f.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException d => d.Message,
        UnauthorizedAccessException u => u.Message,
        IOException io => io.Message,
        ArgumentException { ParamName: { } name } a => a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal),
        ArgumentException a => a.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}

/// <summary>An error the CLI reports as is.</summary>
public sealed class CliException(string message) : Exception(message);
