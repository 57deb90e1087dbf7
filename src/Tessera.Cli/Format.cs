// Small formatting helpers shared by the commands.

using System.Globalization;
using Spectre.Console;

namespace Tessera.Cli;

internal static class Format
{
    /// <summary>Bytes in binary units with three significant digits: 12.1 GB style uses decimal units, as llama.cpp prints.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " MB",
        >= 1_000 => (bytes / 1e3).ToString("0.00", CultureInfo.InvariantCulture) + " kB",
        _ => bytes + " B",
    };

    /// <summary>A Spectre console writing to <paramref name="writer"/>; plain text unless it is the real terminal (stdout or stderr).</summary>
    public static IAnsiConsole Console(TextWriter writer)
    {
        var isTerminal = (ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected)
            || (ReferenceEquals(writer, System.Console.Error) && !System.Console.IsErrorRedirected);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Into a file or a pipe, lines stay whole rather than wrapped at 80 columns.
        if (!isTerminal) console.Profile.Width = 4096;
        return console;
    }
}
