// Encoding half of BpeTokenizer: tokenizer_st_partition (special tokens first), the gpt-4o split, and
// llm_tokenizer_bpe_session's merge loop (lowest rank first, leftmost on ties), with a per-piece cache.

using System.Text;

namespace Tessera.Tokenization;

public sealed partial class BpeTokenizer
{
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
                EncodeFragment(text.Slice(fragment.Start, fragment.Length), ids);
        }
    }

    // One stretch of text without special tokens: split into pieces, then BPE each piece.
    private void EncodeFragment(ReadOnlySpan<char> text, List<int> ids)
    {
        var scratch = Scratch.ForThread(text.Length);
        int count = Gpt4oPreTokenizer.Collapse(text, scratch.Collapsed, scratch.Starts);
        ReadOnlySpan<byte> collapsed = scratch.Collapsed.AsSpan(0, count);
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int p = 0; p < count;)
        {
            int e = Gpt4oPreTokenizer.MatchEnd(collapsed, p);
            ReadOnlySpan<char> piece = text[scratch.Starts[p]..scratch.Starts[e]];
            p = e;

            if (cache.TryGetValue(piece, out int[]? cached))
            {
                ids.AddRange(cached);
                continue;
            }
            int before = ids.Count;
            MergePiece(piece, scratch, ids);
            if (piece.Length <= MaxCachedPieceLength)
            {
                if (_cacheCount >= MaxCacheEntries)
                {
                    _cache.Clear();   // rare; a racing add may survive, which only costs memory
                    _cacheCount = 0;
                }
                if (cache.TryAdd(piece, ids.GetRange(before, ids.Count - before).ToArray()))
                    Interlocked.Increment(ref _cacheCount);
            }
        }
    }

    // llm_tokenizer_bpe_session::tokenize for one piece: one symbol per UTF-8 byte, then repeatedly merge the adjacent
    // pair with the lowest rank (leftmost among equals) until no pair has a rank.
    private void MergePiece(ReadOnlySpan<char> piece, Scratch scratch, List<int> ids)
    {
        scratch.EnsurePieceBytes(Encoding.UTF8.GetMaxByteCount(piece.Length));
        int n = Encoding.UTF8.GetBytes(piece, scratch.Bytes);
        int[] sym = scratch.Symbols, prev = scratch.Prev, next = scratch.Next;
        for (int i = 0; i < n; i++)
        {
            sym[i] = _byteSymbols[scratch.Bytes[i]];
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

        for (int i = 0; i >= 0 && n > 0; i = next[i])
        {
            int s = sym[i];
            if (s < _vocabularySize)
                ids.Add(s);
            else
                AddUnknownSymbol(_extraSymbols[s - _vocabularySize], ids);
        }
    }

    private void AddPair(PriorityQueue<Pair, long> queue, int[] sym, int left, int right)
    {
        int rank = _merges.Find(sym[left], sym[right], out int merged);
        if (rank != MergeTable.NoMerge)
            queue.Enqueue(new Pair(left, right, sym[left], sym[right], merged), (long)rank << 32 | (uint)left);
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

    // Per-thread work buffers, grown to the longest fragment and piece seen; very long ones are not kept.
    private sealed class Scratch
    {
        private const int MaxRetainedChars = 1 << 20;

        [ThreadStatic] private static Scratch? t_scratch;

        public byte[] Collapsed = [];
        public int[] Starts = [];
        public byte[] Bytes = [];
        public int[] Symbols = [], Prev = [], Next = [];
        public readonly PriorityQueue<Pair, long> Queue = new();

        public static Scratch ForThread(int chars)
        {
            var scratch = t_scratch ??= new Scratch();
            if (chars > MaxRetainedChars)
                scratch = new Scratch();
            if (scratch.Starts.Length < chars + 1)
            {
                int size = Math.Max(chars + 1, 256);
                scratch.Collapsed = new byte[size];
                scratch.Starts = new int[size];
            }
            return scratch;
        }

        public void EnsurePieceBytes(int bytes)
        {
            if (Bytes.Length >= bytes)
                return;
            int size = Math.Max(bytes, 1024);
            Bytes = new byte[size];
            Symbols = new int[size];
            Prev = new int[size];
            Next = new int[size];
        }
    }
}
