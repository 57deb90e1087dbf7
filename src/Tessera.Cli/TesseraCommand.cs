// The root of the `tessera` command line: subcommands, and the rule that a failure is one line on stderr with exit
// code 1, never a stack trace (set TESSERA_DEBUG=1 to see one).

using System.CommandLine;
using Tessera.Cli.Commands;
using Tessera.Chat.Harmony;
using Tessera.Gguf;

namespace Tessera.Cli;

/// <summary>Builds and runs the <c>tessera</c> command line.</summary>
public static class TesseraCommand
{
    /// <summary>Runs the command line with the given output streams; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        var root = new RootCommand("Tessera: run OpenAI's gpt-oss models locally")
        {
            MakeTestModelCommand.Create(stdout),
            InspectCommand.Create(stdout),
            TokenizeCommand.Create(stdout, stdin ?? Console.In),
            RenderCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr, stdin ?? Console.In),
            LogitsCommand.Create(stdout),
            ServeCommand.Create(stdout, stderr),
        };
        try
        {
            // ProcessTerminationTimeout turns Ctrl+C and SIGTERM into the actions' CancellationToken (`serve` stops
            // cleanly, `run` stops generating); a configuration made here has none unless it is set.
            return root.Parse(args).Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
            });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("TESSERA_DEBUG") != "1")
        {
            stderr.WriteLine("error: " + Describe(e));
            return 1;
        }
    }

    /// <summary>One line for the user: what failed and, for file errors, where.</summary>
    internal static string Describe(Exception e) => e switch
    {
        CliException c => c.Message,
        GgufFormatException g => $"not a valid GGUF file: {g.Message}",
        HarmonyRenderException h => h.Message,
        Inference.ContextOverflowException o => o.Message,
        OperationCanceledException => "cancelled",
        NotSupportedException n => n.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException d => d.Message,
        UnauthorizedAccessException u => u.Message,
        IOException io => io.Message,
        ArgumentException a => a.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}

/// <summary>An error the CLI reports as is.</summary>
public sealed class CliException(string message) : Exception(message);
