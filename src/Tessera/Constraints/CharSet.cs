// A set of Unicode code points as sorted, disjoint inclusive ranges (a GBNF character class, a literal's character,
// or `.`), with a bitmap of the ASCII half so that the common case is one bit test.

namespace Tessera.Constraints;

internal sealed class CharSet : IEquatable<CharSet>
{
    public const int MaxCodePoint = 0x10FFFF;

    private readonly int[] _ranges;   // [2 × ranges]: lo0, hi0, lo1, hi1, ... ascending, disjoint, not adjacent
    private readonly ulong _ascii0, _ascii1;   // code points 0..63 and 64..127

    private CharSet(int[] ranges)
    {
        _ranges = ranges;
        for (var i = 0; i < ranges.Length; i += 2)
            for (var c = ranges[i]; c <= Math.Min(ranges[i + 1], 127); c++)
            {
                if (c < 64) _ascii0 |= 1UL << c;
                else _ascii1 |= 1UL << (c - 64);
            }
    }

    /// <summary>The set of the given ranges (inclusive, any order, may overlap), or its complement.</summary>
    public static CharSet FromRanges(IEnumerable<(int Lo, int Hi)> ranges, bool negated = false)
    {
        var sorted = ranges.OrderBy(r => r.Lo).ToList();
        var merged = new List<int>();
        foreach (var (lo, hi) in sorted)
        {
            if (merged.Count > 0 && lo <= merged[^1] + 1) merged[^1] = Math.Max(merged[^1], hi);
            else { merged.Add(lo); merged.Add(hi); }
        }
        if (!negated) return new CharSet([.. merged]);
        var complement = new List<int>();
        var next = 0;
        for (var i = 0; i < merged.Count; i += 2)
        {
            if (merged[i] > next) { complement.Add(next); complement.Add(merged[i] - 1); }
            next = merged[i + 1] + 1;
        }
        if (next <= MaxCodePoint) { complement.Add(next); complement.Add(MaxCodePoint); }
        return new CharSet([.. complement]);
    }

    public static CharSet Single(int codePoint) => new([codePoint, codePoint]);

    public bool IsEmpty => _ranges.Length == 0;

    /// <summary>The ranges, ascending.</summary>
    public IEnumerable<(int Lo, int Hi)> Ranges
    {
        get
        {
            for (var i = 0; i < _ranges.Length; i += 2) yield return (_ranges[i], _ranges[i + 1]);
        }
    }

    /// <summary>The code points in both sets.</summary>
    public CharSet Intersect(CharSet other)
    {
        var result = new List<(int, int)>();
        foreach (var (a, b) in Ranges)
            foreach (var (c, d) in other.Ranges)
                if (Math.Max(a, c) <= Math.Min(b, d)) result.Add((Math.Max(a, c), Math.Min(b, d)));
        return FromRanges(result);
    }

    public bool Contains(int c)
    {
        if (c < 64) return (_ascii0 >> c & 1) != 0;
        if (c < 128) return (_ascii1 >> (c - 64) & 1) != 0;
        var r = _ranges;
        int lo = 0, hi = r.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (c < r[2 * mid]) hi = mid - 1;
            else if (c > r[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>Whether some code point in [lo, hi] is in the set (for a character whose first bytes are known).</summary>
    public bool Intersects(int lo, int hi)
    {
        var r = _ranges;
        for (var i = 0; i < r.Length; i += 2)
            if (r[i] <= hi && r[i + 1] >= lo) return true;
        return false;
    }

    /// <summary>Whether every code point in [lo, hi] is in the set.</summary>
    public bool ContainsRange(int lo, int hi)
    {
        var r = _ranges;
        for (var i = 0; i < r.Length; i += 2)
            if (r[i] <= lo) { if (hi <= r[i + 1]) return true; }
            else break;
        return false;
    }

    public bool Equals(CharSet? other) => other is not null && _ranges.AsSpan().SequenceEqual(other._ranges);

    public override bool Equals(object? obj) => Equals(obj as CharSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var x in _ranges) h.Add(x);
        return h.ToHashCode();
    }
}
