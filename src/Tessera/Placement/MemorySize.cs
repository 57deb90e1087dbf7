// Sizes of memory as people type them (--gpu-memory 8GiB, 7.5G, 6000MiB). Every unit counts in 1024s, as GPU memory is
// sold (an "8 GB" card holds 8 GiB) and as docker's and java's memory flags read "8g"; a bare number is refused, since
// "8" could mean bytes or GiB.

using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Placement;

/// <summary>Parses and prints byte counts with binary units.</summary>
public static partial class MemorySize
{
    /// <summary>Bytes in <paramref name="text"/>: a number and a unit among B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB
    /// (any case). <paramref name="option"/> is the option as the user typed it, for the message.</summary>
    /// <exception cref="FormatException">No unit, not a number, or not above zero.</exception>
    public static long Parse(string text, string option = "--gpu-memory")
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = SizeText().Match(text);
        if (!m.Success)
            throw new FormatException($"{option} takes a size with a unit, such as 8GiB, 7.5G or 6000MiB, not \"{text}\"");
        double value = double.Parse(m.Groups[1].ValueSpan, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        int shift = char.ToUpperInvariant(m.Groups[2].Value[0]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        double bytes = Math.Round(value * (1L << shift));
        if (bytes < 1 || bytes > long.MaxValue / 2)
            throw new FormatException($"{option} must be above zero and below 4 EiB, not \"{text}\"");
        return (long)bytes;
    }

    /// <summary><paramref name="bytes"/> in GiB with one decimal (<c>7.8 GiB</c>), or MiB below 1 GiB.</summary>
    public static string Format(long bytes) => Math.Abs(bytes) >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F0} MiB");

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(B|[KMGT](?:i?B)?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizeText();
}
