// The fast path of attention with sinks (gpt-oss-facts.md §4.2e-f), the CPU backend's default: not ggml's bits but the
// same function computed in F32 throughout (ggml rounds the queries and the value sum to F16), in tiles. Keys are cut at
// fixed positions into blocks of BlockPositions and chunks of ChunkPositions; a row (one query head of one token) runs an
// online softmax block by block inside each chunk, from nothing, giving the chunk's (max, sum, weighted values); the
// chunks' triples are merged in position order, and the sink joins the denominator at the end as in the exact path.
// Because every cut sits at a fixed position and a merge with an empty triple is exact, a row's bits depend only on its
// query and the visible keys: not on the batch, the threads, the slots the keys sit in (a wrapped ring), whether chunks
// run on one thread or on several (split-K), nor on the vector width. Masked keys weigh exactly zero (F32Exp gives 0 for
// −∞). The scalar reference below is the definition; the vector paths (TiledAttention.Simd.cs) put rows in lanes for q·k
// and the softmax, and head dimensions in lanes for the weighted sum of values, and give its bits.

using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Operands of <see cref="TiledAttention"/>: a tile of query rows, tokens × consecutive query heads that share
/// one KV head, and the cache cut into blocks and chunks.</summary>
internal unsafe struct AttentionTile
{
    public float* Queries;          // query of token t, head h at Queries + t·QueryStride + h·HeadSize
    public int QueryStride;         // floats between two tokens' queries (and outputs)
    public int* QueryPositions;     // [Tokens]
    public int Tokens;
    public int Heads;               // query heads per token in the tile
    public int HeadSize;            // d
    public float* Sinks;            // [Heads] sink logits
    public float Scale;             // on q·k
    public int Window;              // sliding window, 0 = full
    public void* Keys;              // cache [slots × RowWidth], F16 bit patterns or F32
    public void* Values;
    public bool HalfCache;          // F16 cache (else F32)
    public int RowWidth;            // values per cache row (kvHeads·d)
    public int HeadOffset;          // offset of the KV head in a cache row
    public int* Order;              // slots in position order
    public int* OrderPositions;     // their positions, increasing
    public int* BlockStarts;        // [blocks + 1] index into Order of each block's first key
    public int* ChunkStarts;        // [chunks + 1] index into BlockStarts of each chunk's first block
    public int Chunks;
    public float* Output;           // same layout as Queries
    public float* Scratch;          // ScratchLength floats, per thread

    public readonly int Rows => Tokens * Heads;
}

/// <summary>Attention with sinks in tiles with an online softmax, per instruction-set strategy.</summary>
internal static unsafe partial class TiledAttention
{
    /// <summary>Positions per block: the online softmax rescales once per block.</summary>
    public const int BlockPositions = 32;

    /// <summary>Positions per chunk: the unit of split-K.</summary>
    public const int ChunkPositions = 256;

    /// <summary>Rows padded to a whole number of the widest vectors.</summary>
    public static int Padded(int rows) => (rows + 15) & ~15;

    /// <summary>Floats of one chunk's triple for <paramref name="rows"/> rows: max and sum per row, then each row's d values.</summary>
    public static int StateLength(int rows, int headSize) => Padded(rows) * (2 + headSize);

    /// <summary>Floats of scratch one call needs.</summary>
    public static int ScratchLength(int rows, int headSize)
    {
        int p = Padded(rows);
        // queries transposed, row limits, keys and values of a block, scores, rescale factors, two triples
        return headSize * p + 2 * p + 2 * BlockPositions * headSize + BlockPositions * p + p + 2 * StateLength(rows, headSize);
    }

    /// <summary>Fills <paramref name="blockStarts"/> and <paramref name="chunkStarts"/> for the first <paramref name="count"/>
    /// keys in position order; returns the number of chunks. Sizes: count + 1 each.</summary>
    public static int Cut(ReadOnlySpan<int> orderPositions, int count, Span<int> blockStarts, Span<int> chunkStarts)
    {
        int blocks = 0, chunks = 0, block = -1, chunk = -1;
        for (int i = 0; i < count; i++)
        {
            int p = orderPositions[i];
            if (p / BlockPositions == block) continue;
            block = p / BlockPositions;
            if (p / ChunkPositions != chunk)
            {
                chunk = p / ChunkPositions;
                chunkStarts[chunks++] = blocks;
            }
            blockStarts[blocks++] = i;
        }
        blockStarts[blocks] = count;
        chunkStarts[chunks] = blocks;
        return chunks;
    }

    /// <summary>Every chunk of the tile, merged, with the sinks: the tile's output rows.</summary>
    public static void Attend(CpuIsa isa, in AttentionTile a)
    {
        int rows = a.Rows, state = StateLength(rows, a.HeadSize);
        float* total = a.Scratch + ScratchLength(rows, a.HeadSize) - state, chunk = total - state;
        Empty(total, rows, a.HeadSize);
        for (int c = 0; c < a.Chunks; c++)
        {
            if (!AttendChunk(isa, a, c, chunk)) continue;   // nothing visible: merging an empty triple changes nothing
            Merge(isa, total, chunk, rows, a.HeadSize);
        }
        Finish(isa, a, total, 1, state);
    }

    /// <summary>Chunk <paramref name="chunk"/>'s triple of every row into <paramref name="state"/>
    /// (<see cref="StateLength"/> floats); false when no key of the chunk was visible to the tile (the triple is empty).</summary>
    public static bool AttendChunk(CpuIsa isa, in AttentionTile a, int chunk, float* state)
    {
        switch (isa)
        {
            case CpuIsa.Scalar: return ChunkReference(a, chunk, state);
            case CpuIsa.Vector128: return Chunk<V128>(a, chunk, state);
            case CpuIsa.Avx512 when a.Rows > 8: return Chunk<V512>(a, chunk, state);
            default: return Chunk<V256>(a, chunk, state);
        }
    }

    /// <summary>Merges <paramref name="count"/> triples (chunk order, <paramref name="stride"/> floats apart) and writes the
    /// output rows.</summary>
    public static void Finish(CpuIsa isa, in AttentionTile a, float* states, int count, long stride)
    {
        int rows = a.Rows, d = a.HeadSize;
        float* total = states;
        if (count > 1)
        {
            total = a.Scratch + ScratchLength(rows, d) - StateLength(rows, d);
            Empty(total, rows, d);
            for (int c = 0; c < count; c++) Merge(isa, total, states + c * stride, rows, d);
        }
        int p = Padded(rows);
        for (int r = 0; r < rows; r++)
        {
            int t = r / a.Heads, h = r % a.Heads;
            float sink = a.Sinks[h], m = total[r];
            float shift = MathF.Max(MathF.Max(m, sink), -float.MaxValue);
            float keep = F32Exp.Exp(m - shift);
            float z = MathF.FusedMultiplyAdd(total[p + r], keep, F32Exp.Exp(sink - shift));
            Scale(isa, total + 2 * p + r * d, z == 0 ? 0 : keep / z, a.Output + (long)t * a.QueryStride + h * d, d);
        }
    }

    /// <summary>The empty triple: max −∞, sum 0, values 0.</summary>
    public static void Empty(float* state, int rows, int headSize)
    {
        int p = Padded(rows);
        new Span<float>(state, p).Fill(float.NegativeInfinity);
        new Span<float>(state + p, p * (1 + headSize)).Clear();
    }

    // total ← total ⊕ chunk: both rescaled to the larger max (never −∞: an empty side gets factor 0, exactly).
    private static void Merge(CpuIsa isa, float* total, float* chunk, int rows, int d)
    {
        int p = Padded(rows);
        for (int r = 0; r < rows; r++)
        {
            float m = MathF.Max(total[r], chunk[r]), shift = MathF.Max(m, -float.MaxValue);
            float keep = F32Exp.Exp(total[r] - shift), add = F32Exp.Exp(chunk[r] - shift);
            total[r] = m;
            total[p + r] = MathF.FusedMultiplyAdd(chunk[p + r], add, total[p + r] * keep);
            float* o = total + 2 * p + r * d, c = chunk + 2 * p + r * d;
            switch (isa)
            {
                case CpuIsa.Scalar: MergeRow(o, c, keep, add, 0, d); break;
                case CpuIsa.Vector128: MergeRow<V128>(o, c, keep, add, d); break;
                case CpuIsa.Avx512: MergeRow<V512>(o, c, keep, add, d); break;
                default: MergeRow<V256>(o, c, keep, add, d); break;
            }
        }
    }

    private static void MergeRow(float* o, float* c, float keep, float add, int from, int d)
    {
        for (int i = from; i < d; i++) o[i] = MathF.FusedMultiplyAdd(c[i], add, o[i] * keep);
    }

    private static void Scale(CpuIsa isa, float* x, float factor, float* y, int d)
    {
        int i = isa switch
        {
            CpuIsa.Scalar => 0,
            CpuIsa.Vector128 => ScaleRow<V128>(x, factor, y, d),
            CpuIsa.Avx512 => ScaleRow<V512>(x, factor, y, d),
            _ => ScaleRow<V256>(x, factor, y, d),
        };
        for (; i < d; i++) y[i] = x[i] * factor;
    }

    // The definition, one row at a time: for each block of the chunk the visible keys' scores (sequential FMA over the
    // head dimensions, times the scale; −∞ when masked), the new max, the old triple rescaled by e^(old − new), each
    // key's weight e^(score − new) added to the sum and, times its values, to the weighted values.
    private static bool ChunkReference(in AttentionTile a, int chunk, float* state)
    {
        int rows = a.Rows, d = a.HeadSize, p = Padded(rows);
        Empty(state, rows, d);
        int firstBlock = a.ChunkStarts[chunk], endBlock = a.ChunkStarts[chunk + 1];
        Span<float> k = stackalloc float[d], v = stackalloc float[d];
        Span<float> scores = stackalloc float[BlockPositions];
        bool any = false;
        for (int r = 0; r < rows; r++)
        {
            int t = r / a.Heads, h = r % a.Heads, queryPosition = a.QueryPositions[t];
            float* q = a.Queries + (long)t * a.QueryStride + h * d, o = state + 2 * p + r * d;
            for (int b = firstBlock; b < endBlock; b++)
            {
                int first = a.BlockStarts[b], n = a.BlockStarts[b + 1] - first;
                float blockMax = float.NegativeInfinity;
                for (int j = 0; j < n; j++)
                {
                    if (!AttentionMask.IsVisible(queryPosition, a.OrderPositions[first + j], a.Window))
                    {
                        scores[j] = float.NegativeInfinity;
                        continue;
                    }
                    any = true;
                    Row(a, a.Keys, a.Order[first + j], k);
                    float dot = 0;
                    for (int i = 0; i < d; i++) dot = MathF.FusedMultiplyAdd(q[i], k[i], dot);
                    scores[j] = dot * a.Scale;
                    blockMax = MathF.Max(blockMax, scores[j]);
                }
                float max = MathF.Max(state[r], blockMax), shift = MathF.Max(max, -float.MaxValue);
                float rescale = F32Exp.Exp(state[r] - shift), sum = state[p + r] * rescale;
                for (int i = 0; i < d; i++) o[i] *= rescale;
                for (int j = 0; j < n; j++)
                {
                    float weight = F32Exp.Exp(scores[j] - shift);
                    sum += weight;
                    Row(a, a.Values, a.Order[first + j], v);
                    for (int i = 0; i < d; i++) o[i] = MathF.FusedMultiplyAdd(weight, v[i], o[i]);
                }
                state[r] = max;
                state[p + r] = sum;
            }
        }
        return any;
    }

    // Head `HeadOffset` of cache row `slot` as floats (an F16 value widened exactly).
    private static void Row(in AttentionTile a, void* cache, int slot, Span<float> row)
    {
        long at = (long)slot * a.RowWidth + a.HeadOffset;
        for (int i = 0; i < row.Length; i++)
            row[i] = a.HalfCache ? Fp16.ToSingle(((ushort*)cache)[at + i]) : ((float*)cache)[at + i];
    }
}
