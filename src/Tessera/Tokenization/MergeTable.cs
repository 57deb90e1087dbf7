// BPE merge lookup for BpeTokenizer: (left symbol, right symbol) → (merge rank, merged symbol), in one open-addressing
// array with linear probing, so a lookup is one multiply and usually one cache line (a Dictionary<long, _> costs a
// bucket read, an entry read and an interface call to its comparer).

using System.Numerics;

namespace Tessera.Tokenization;

/// <summary>Merge rank and merged symbol of each pair of symbol ids; the first rank added for a pair is kept.</summary>
internal sealed class MergeTable
{
    /// <summary>The rank <see cref="Find"/> gives a pair that has no merge; higher than every real rank.</summary>
    public const int NoMerge = int.MaxValue;

    private const long Empty = -1;   // keys are left << 32 | right with both ids non-negative

    private readonly Entry[] _entries;
    private readonly int _shift;

    private struct Entry
    {
        public long Key;
        public int Rank;
        public int Merged;
    }

    /// <summary>A table with room for <paramref name="capacity"/> pairs at a load of at most one half.</summary>
    public MergeTable(int capacity)
    {
        int bits = Math.Max(4, 32 - BitOperations.LeadingZeroCount((uint)Math.Max(1, 2 * capacity - 1)));
        _entries = new Entry[1 << bits];
        _entries.AsSpan().Fill(new Entry { Key = Empty });
        _shift = 64 - bits;
    }

    /// <summary>Adds the merge of (<paramref name="left"/>, <paramref name="right"/>) unless the pair already has one.</summary>
    public bool TryAdd(int left, int right, int rank, int merged)
    {
        long key = Key(left, right);
        int mask = _entries.Length - 1;
        for (int i = Slot(key); ; i = (i + 1) & mask)
        {
            ref Entry entry = ref _entries[i];
            if (entry.Key == key)
                return false;
            if (entry.Key == Empty)
            {
                entry = new Entry { Key = key, Rank = rank, Merged = merged };
                return true;
            }
        }
    }

    /// <summary>The rank of the merge of (<paramref name="left"/>, <paramref name="right"/>) and the symbol it makes, or
    /// <see cref="NoMerge"/> if the pair has none.</summary>
    public int Find(int left, int right, out int merged)
    {
        long key = Key(left, right);
        Entry[] entries = _entries;
        int mask = entries.Length - 1;
        for (int i = Slot(key); ; i = (i + 1) & mask)
        {
            ref Entry entry = ref entries[i];
            if (entry.Key == key)
            {
                merged = entry.Merged;
                return entry.Rank;
            }
            if (entry.Key == Empty)
            {
                merged = -1;
                return NoMerge;
            }
        }
    }

    private static long Key(int left, int right) => (long)left << 32 | (uint)right;

    private int Slot(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> _shift);
}
