// Attention with sinks over an F16 KV cache for one token and one KV head's group of query heads (gpt-oss-facts.md
// §4.2e-f; GQA: 8 query heads share a KV head). The arithmetic is ggml-cpu's one-chunk flash attention, as the scalar
// reference AttentionWithSinks reproduces it: queries rounded to F16, F16 dot products with ggml's four 8-lane
// accumulators, an online softmax over the slots in position order with the value sum rounded to F16 after every update,
// the sink added to the denominator at the end. The vector paths read each cached key and value row once for the whole
// group (converted to floats in registers, never widened in bulk), keep the same lanes and order, and call the same
// scalar exp, so they give the reference's bits.

using System.Buffers;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Operands of <see cref="F16KvAttention"/>: one token's query heads that share one KV head.</summary>
internal unsafe struct AttentionGroup
{
    public float* Queries;      // [Heads × HeadSize] the group's query heads, contiguous
    public int Heads;           // query heads in the group
    public int HeadSize;        // d
    public ushort* Keys;        // cache [slots × RowWidth] F16 bit patterns
    public ushort* Values;      // cache [slots × RowWidth]
    public int RowWidth;        // values per cache row (kvHeads·d)
    public int HeadOffset;      // offset of this KV head in a cache row
    public int* Order;          // slots in position order
    public int OrderLength;
    public int* KeyPositions;   // position per slot (−1 empty)
    public int QueryPosition;
    public int Window;          // sliding window, 0 = full
    public float* Sinks;        // [Heads] sink logits of the group's heads
    public float Scale;         // on q·k
    public float* Output;       // [Heads × HeadSize]
    public float* Scratch;      // [(Heads + 2) × HeadSize] per thread
}

/// <summary>Attention with sinks over an F16 cache, per instruction-set strategy.</summary>
internal static unsafe partial class F16KvAttention
{
    /// <summary>Floats of scratch one call needs.</summary>
    public static int ScratchLength(int heads, int headSize) => (heads + 2) * headSize;

    public static void Group(CpuIsa isa, in AttentionGroup a)
    {
        switch (isa)
        {
            case CpuIsa.Scalar: Scalar(a); break;
            case CpuIsa.Vector128: Simd<V128>(a); break;
            case CpuIsa.Avx512: Simd<V512>(a); break;
            default: Simd<V256>(a); break;
        }
    }

    // The reference: each head through AttentionWithSinks over the rows it reads, widened to floats.
    private static void Scalar(in AttentionGroup a)
    {
        int d = a.HeadSize, slots = 0;
        for (int i = 0; i < a.OrderLength; i++) slots = Math.Max(slots, a.Order[i] + 1);
        var keys = ArrayPool<float>.Shared.Rent(Math.Max(1, slots * d));
        var values = ArrayPool<float>.Shared.Rent(Math.Max(1, slots * d));
        try
        {
            for (int i = 0; i < a.OrderLength; i++)
            {
                int s = a.Order[i];
                for (int j = 0; j < d; j++)
                {
                    keys[s * d + j] = Fp16.ToSingle(a.Keys[(long)s * a.RowWidth + a.HeadOffset + j]);
                    values[s * d + j] = Fp16.ToSingle(a.Values[(long)s * a.RowWidth + a.HeadOffset + j]);
                }
            }
            var order = new ReadOnlySpan<int>(a.Order, a.OrderLength);
            int positions = 0;
            for (int i = 0; i < a.OrderLength; i++) positions = Math.Max(positions, a.Order[i] + 1);
            var keyPositions = new ReadOnlySpan<int>(a.KeyPositions, positions);
            Span<float> q = stackalloc float[d];
            for (int h = 0; h < a.Heads; h++)
            {
                for (int j = 0; j < d; j++) q[j] = (float)(Half)a.Queries[h * d + j];
                AttentionWithSinks.F32(q, keys.AsSpan(0, slots * d), values.AsSpan(0, slots * d), d, 0, order, keyPositions,
                    a.QueryPosition, a.Window, a.Sinks[h], a.Scale, halfAccumulator: true, new Span<float>(a.Output + h * d, d));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keys);
            ArrayPool<float>.Shared.Return(values);
        }
    }
}
