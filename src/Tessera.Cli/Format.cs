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

    /// <summary>A Spectre console writing to <paramref name="writer"/>; plain text unless it is the real terminal.</summary>
    public static IAnsiConsole Console(TextWriter writer)
    {
        var isTerminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }
}
