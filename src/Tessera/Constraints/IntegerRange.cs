// GBNF for exactly the decimal integers in [min, max], without leading zeros or "-0": split by sign and digit count,
// then each same-length range digit by digit (the usual range-to-regular-expression construction).

using System.Globalization;

namespace Tessera.Constraints;

internal static class IntegerRange
{
    public static string Gbnf(long min, long max)
    {
        if (min > max) throw new ArgumentException($"empty range [{min}, {max}]");
        var parts = new List<string>();
        if (min < 0)
        {
            var lo = max >= 0 ? 1UL : (ulong)(-(max + 1)) + 1;   // -max without overflow
            var hi = (ulong)(-(min + 1)) + 1;
            parts.Add($"\"-\" {NonNegative(lo, hi)}");
        }
        if (max >= 0) parts.Add(NonNegative((ulong)Math.Max(0, min), (ulong)max));
        return string.Join(" | ", parts);
    }

    private static string NonNegative(ulong lo, ulong hi)
    {
        var alts = new List<string>();
        var loText = lo.ToString(CultureInfo.InvariantCulture);
        var hiText = hi.ToString(CultureInfo.InvariantCulture);
        for (var length = loText.Length; length <= hiText.Length; length++)
        {
            var first = length == 1 ? 0UL : Pow10(length - 1);
            var last = length >= 20 ? ulong.MaxValue : Pow10(length) - 1;
            var a = Math.Max(lo, first);
            var b = Math.Min(hi, last);
            if (a <= b) alts.Add(Same(a.ToString(CultureInfo.InvariantCulture), b.ToString(CultureInfo.InvariantCulture)));
        }
        return "(" + string.Join(" | ", alts) + ")";
    }

    private static ulong Pow10(int n)
    {
        ulong p = 1;
        for (var i = 0; i < n; i++) p *= 10;
        return p;
    }

    // Strings of digits of one length from x to y inclusive (x <= y, same length).
    private static string Same(string x, string y)
    {
        if (x.Length == 0) return "\"\"";
        if (x == y) return $"\"{x}\"";
        if (x[0] == y[0]) return $"\"{x[0]}\" ({Same(x[1..], y[1..])})";
        var n = x.Length - 1;
        var anyDigits = string.Concat(Enumerable.Repeat(" [0-9]", n));
        var lowTailZero = x[1..].All(c => c == '0');
        var highTailNine = y[1..].All(c => c == '9');
        var alts = new List<string>();
        var from = x[0];
        var to = y[0];
        if (!lowTailZero)
        {
            alts.Add($"\"{x[0]}\" ({Same(x[1..], new string('9', n))})");
            from++;
        }
        if (!highTailNine) to--;
        if (from <= to) alts.Add($"[{from}-{to}]{anyDigits}");
        if (!highTailNine) alts.Add($"\"{y[0]}\" ({Same(new string('0', n), y[1..])})");
        return string.Join(" | ", alts);
    }
}
