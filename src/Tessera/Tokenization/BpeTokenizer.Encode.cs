// Encoding half of BpeTokenizer: tokenizer_st_partition (special tokens first), the gpt-4o split, and
// llm_tokenizer_bpe_session's merge loop (lowest rank first, leftmost on ties). Fragments go in chunks cut where the
// split cannot change; pieces are slices of a chunk's UTF-8. A piece that is itself a token whose own BPE gives it
// back costs one hash lookup, other short pieces go through a shared cache, and the merge loop is a linear rescan
// for short pieces and a heap for long ones. Measurements: docs/tokenizer-throughput.md.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Tessera.Tokenization;

public sealed partial class BpeTokenizer
{
    internal const int MaxShortPieceLength = 128;   // bytes; up to here the O(n²) rescan beats a heap
    private const int FragmentChunk = 4096;          // chars

    /// <summary>Encodes <paramref name="text"/>. With <paramref name="parseSpecial"/> the text of any control token
    /// (&lt;|return|&gt;, …) becomes that token; user-defined tokens (&lt;|start|&gt;, &lt;|message|&gt;, …) are
    /// always matched. No BOS is added (gpt-oss has add_bos = false).</summary>
    public int[] Encode(string text, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, parseSpecial, ids);
        return [.. ids];
    }

    /// <summary>Encodes <paramref name="text"/> and appends the token ids to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, bool parseSpecial, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (text.IsEmpty)
            return;

        // Fragments: (start, length, -1) for raw text, (start, length, id) for a special token.
        var fragments = new List<(int Start, int Length, int Id)> { (0, text.Length, -1) };
        var next = new List<(int Start, int Length, int Id)>();
        foreach (SpecialToken special in _specials)
        {
            if (special.IsControl && !parseSpecial)
                continue;
            next.Clear();
            bool found = false;
            foreach (var fragment in fragments)
            {
                if (fragment.Id >= 0)
                {
                    next.Add(fragment);
                    continue;
                }
                int start = fragment.Start, end = fragment.Start + fragment.Length;
                while (start < end)
                {
                    int at = text[start..end].IndexOf(special.Text, StringComparison.Ordinal);
                    if (at < 0)
                        break;
                    found = true;
                    if (at > 0)
                        next.Add((start, at, -1));
                    next.Add((start + at, special.Text.Length, special.Id));
                    start += at + special.Text.Length;
                }
                if (start < end)
                    next.Add((start, end - start, -1));
            }
            if (found)
                (fragments, next) = (next, fragments);
        }

        foreach (var fragment in fragments)
        {
            if (fragment.Id >= 0)
                ids.Add(fragment.Id);
            else
                EncodeFragment(text.Slice(fragment.Start, fragment.Length), ids, FragmentChunk);
        }
    }

    /// <summary>Encodes one stretch of text without special tokens, in chunks of about <paramref name="chunk"/>
    /// characters cut where the split is known not to change (<see cref="Gpt4oPreTokenizer.NextSafeCut"/>), so the
    /// work buffers stay small and ASCII chunks take the ASCII path.</summary>
    internal void EncodeFragment(ReadOnlySpan<char> text, List<int> ids, int chunk)
    {
        while (text.Length > chunk)
        {
            int cut = Gpt4oPreTokenizer.NextSafeCut(text, chunk);
            if (cut < 0)
                break;
            EncodeChunk(text[..cut], ids);
            text = text[cut..];
        }
        EncodeChunk(text, ids);
    }

    // To UTF-8 once, split into pieces, then each piece to ids.
    private void EncodeChunk(ReadOnlySpan<char> text, List<int> ids)
    {
        var scratch = Scratch.ForThread();
        int length = Encoding.UTF8.GetByteCount(text);
        byte[] utf8 = scratch.Utf8(length);
        Encoding.UTF8.GetBytes(text, utf8);   // a lone surrogate becomes U+FFFD, as Collapse reads it
        ReadOnlySpan<byte> bytes = utf8.AsSpan(0, length);

        if (length == text.Length)
        {
            // All ASCII: every code point is one byte and collapses to itself.
            for (int p = 0; p < length;)
            {
                int e = Gpt4oPreTokenizer.MatchEnd(bytes, p);
                EncodePiece(bytes[p..e], ids);
                p = e;
            }
            return;
        }

        (byte[] collapsedArray, int[] starts) = scratch.CodePoints(text.Length);
        int count = Gpt4oPreTokenizer.Collapse(bytes, collapsedArray, starts);
        ReadOnlySpan<byte> collapsed = collapsedArray.AsSpan(0, count);
        for (int p = 0; p < count;)
        {
            int e = Gpt4oPreTokenizer.MatchEnd(collapsed, p);
            EncodePiece(bytes[starts[p]..starts[e]], ids);
            p = e;
        }
    }

    /// <summary>The ids of one pre-token piece, as <see cref="MergePiece"/> gives them, by the cheapest route known
    /// to agree with it: a token whose own BPE gives it back, the cache, or the merge loop.</summary>
    internal void EncodePiece(ReadOnlySpan<byte> piece, List<int> ids)
    {
        ulong hash = ByteStringTable.Hash(piece);
        int id = _tokenBytes.Find(piece, hash);
        if (id >= 0)
        {
            // BPE need not rebuild a token from its bytes, so the shortcut is taken only once MergePiece has shown it.
            sbyte itself = _mergesToItself[id];
            if (itself > 0)
            {
                ids.Add(id);
                return;
            }
            if (itself == 0)
            {
                int start = ids.Count;
                MergePiece(piece, ids);
                _mergesToItself[id] = ids.Count == start + 1 && ids[start] == id ? (sbyte)1 : (sbyte)-1;
                return;
            }
        }

        if (piece.Length > MaxCachedPieceLength)
        {
            MergePiece(piece, ids);
            return;
        }
        ref CachedPiece? slot = ref _cache[(int)(hash >> 32) & (CacheSlots - 1)];
        CachedPiece? cached = Volatile.Read(ref slot);
        if (cached is not null && cached.Hash == hash && piece.SequenceEqual(cached.Bytes))
        {
            ids.AddRange(cached.Ids);
            return;
        }
        int before = ids.Count;
        MergePiece(piece, ids);
        // Entries are immutable and replaced whole, so readers on other threads see an old entry or a new one.
        Volatile.Write(ref slot, new CachedPiece(hash, piece.ToArray(), [.. CollectionsMarshal.AsSpan(ids)[before..]]));
    }

    // llm_tokenizer_bpe_session::tokenize for one piece: one symbol per UTF-8 byte, then repeatedly merge the adjacent
    // pair with the lowest rank (leftmost among equals) until no pair has a rank.
    private void MergePiece(ReadOnlySpan<byte> piece, List<int> ids)
    {
        if (piece.Length <= MaxShortPieceLength)
            MergeShortPiece(piece, ids);
        else
            MergeLongPiece(piece, ids);
    }

    /// <summary><see cref="MergePiece"/> by rescanning the pairs after each merge: O(n²), but for the short pieces
    /// that most are, cheaper than a heap. At most <see cref="MaxShortPieceLength"/> bytes.</summary>
    [SkipLocalsInit]
    internal void MergeShortPiece(ReadOnlySpan<byte> piece, List<int> ids)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(piece.Length, MaxShortPieceLength);

        // Symbols in order; rank[i] and merged[i] belong to the pair (sym[i], sym[i + 1]). Merging pair b keeps the
        // symbol at b and removes the one at b + 1, so an index's order is the order of the symbols' first bytes and
        // the leftmost lowest rank is llama.cpp's (rank, left position) queue order.
        int n = piece.Length;
        Span<int> sym = stackalloc int[n];
        Span<int> rank = stackalloc int[n];
        Span<int> merged = stackalloc int[n];
        for (int i = 0; i < n; i++)
            sym[i] = _byteSymbols[piece[i]];
        for (int i = 0; i + 1 < n; i++)
        {
            long pair = _bytePairs[piece[i] << 8 | piece[i + 1]];
            rank[i] = (int)(pair >> 32);
            merged[i] = (int)pair;
        }

        while (n > 1)
        {
            int best = 0;
            for (int i = 1; i + 1 < n; i++)
            {
                if (rank[i] < rank[best])
                    best = i;
            }
            if (rank[best] == MergeTable.NoMerge)
                break;
            // Remove symbol best + 1 and pair best + 1; a plain loop, as overlapping CopyTo calls out to memmove.
            sym[best] = merged[best];
            for (int i = best + 1; i + 1 < n; i++)
            {
                sym[i] = sym[i + 1];
                rank[i] = rank[i + 1];     // at i = n - 2 this copies a slot past the last pair, never read
                merged[i] = merged[i + 1];
            }
            n--;
            if (best > 0)
                rank[best - 1] = _merges.Find(sym[best - 1], sym[best], out merged[best - 1]);
            if (best + 1 < n)
                rank[best] = _merges.Find(sym[best], sym[best + 1], out merged[best]);
        }

        foreach (int s in sym[..n])
            AddSymbol(s, ids);
    }

    /// <summary><see cref="MergePiece"/> for long pieces (a CJK sentence can be one), in O(n log n), shaped like
    /// llama.cpp's loop: a doubly linked list of symbols and a queue of candidate pairs ordered by (rank, left
    /// position); pairs that a later merge changed are skipped when they come up.</summary>
    internal void MergeLongPiece(ReadOnlySpan<byte> piece, List<int> ids)
    {
        int n = piece.Length;
        if (n == 0)
            return;
        var scratch = Scratch.ForThread();
        scratch.EnsureLongPiece(n);
        int[] sym = scratch.Symbols, prev = scratch.Prev, next = scratch.Next;
        for (int i = 0; i < n; i++)
        {
            sym[i] = _byteSymbols[piece[i]];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        var queue = scratch.Queue;
        queue.Clear();
        for (int i = 0; i + 1 < n; i++)
            AddPair(queue, sym, i, i + 1);

        while (queue.TryDequeue(out var pair, out _))
        {
            // Skip pairs that a merge since queued has changed (llama.cpp compares the texts; ids are equivalent).
            if (sym[pair.Left] != pair.LeftSymbol || sym[pair.Right] != pair.RightSymbol || next[pair.Left] != pair.Right)
                continue;
            sym[pair.Left] = pair.Merged;
            sym[pair.Right] = -1;
            int after = next[pair.Right];
            next[pair.Left] = after;
            if (after >= 0)
                prev[after] = pair.Left;
            if (prev[pair.Left] >= 0)
                AddPair(queue, sym, prev[pair.Left], pair.Left);
            if (after >= 0)
                AddPair(queue, sym, pair.Left, after);
        }

        for (int i = 0; i >= 0; i = next[i])
            AddSymbol(sym[i], ids);
    }

    private void AddPair(PriorityQueue<Pair, long> queue, int[] sym, int left, int right)
    {
        int rank = _merges.Find(sym[left], sym[right], out int merged);
        if (rank != MergeTable.NoMerge)
            queue.Enqueue(new Pair(left, right, sym[left], sym[right], merged), (long)rank << 32 | (uint)left);
    }

    private void AddSymbol(int symbol, List<int> ids)
    {
        if (symbol < _vocabularySize)
            ids.Add(symbol);
        else
            AddUnknownSymbol(_extraSymbols[symbol - _vocabularySize], ids);
    }

    // A merge produced a text that is not a token: llama.cpp looks each of its bytes up as a one-byte token text,
    // which only ASCII characters can be.
    private void AddUnknownSymbol(string text, List<int> ids)
    {
        foreach (char c in text)
        {
            if (c < 0x80 && _symbols.TryGetValue(c.ToString(), out int id) && id < _vocabularySize)
                ids.Add(id);
        }
    }

    private readonly record struct Pair(int Left, int Right, int LeftSymbol, int RightSymbol, int Merged);

    private sealed record CachedPiece(ulong Hash, byte[] Bytes, int[] Ids);

    // Per-thread work buffers, grown to the longest fragment and piece seen; very long ones are not kept.
    private sealed class Scratch
    {
        private const int MaxRetainedLength = 1 << 20;

        [ThreadStatic] private static Scratch? t_scratch;

        private byte[] _utf8 = [];
        private byte[] _collapsed = [];
        private int[] _starts = [];
        public int[] Symbols = [], Prev = [], Next = [];
        public readonly PriorityQueue<Pair, long> Queue = new();

        public static Scratch ForThread() => t_scratch ??= new Scratch();

        public byte[] Utf8(int length)
        {
            if (_utf8.Length >= length)
                return _utf8;
            var utf8 = new byte[Math.Max(length, 1024)];
            if (length <= MaxRetainedLength)
                _utf8 = utf8;
            return utf8;
        }

        // Collapsed bytes and UTF-8 starts for a fragment of `chars` UTF-16 units (at most that many code points).
        public (byte[] Collapsed, int[] Starts) CodePoints(int chars)
        {
            if (_starts.Length > chars)
                return (_collapsed, _starts);
            var result = (new byte[Math.Max(chars + 1, 1024)], new int[Math.Max(chars + 1, 1024)]);
            if (chars <= MaxRetainedLength)
                (_collapsed, _starts) = result;
            return result;
        }

        public void EnsureLongPiece(int bytes)
        {
            if (Symbols.Length >= bytes)
                return;
            int size = Math.Max(bytes, 1024);
            Symbols = new int[size];
            Prev = new int[size];
            Next = new int[size];
        }
    }
}
