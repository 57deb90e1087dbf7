// Attention on the CPU: YaRN RoPE and attention with sinks over the KV cache. Cached F16 keys and values are widened to
// float once per call; the queries are rounded to F16 first when the cache is F16, as ggml converts Q to the keys' dot
// type (gpt-oss-facts.md §4, precision notes); AttentionWithSinks follows the rest of ggml's flash-attention arithmetic.
// Keys are visited in position order whatever slots they sit in, so a ring that has wrapped gives the same bits as a
// linear cache (and as llama.cpp's cache, whose cells are in position order for one sequence without wrapping).

using System.Buffers;
using System.Numerics.Tensors;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Rope(BackendTensor x, ReadOnlySpan<int> positions, YarnRope rope)
    {
        var t = Own(x);
        RequireRows(t, positions.Length);
        int d = rope.Dimensions;
        if (t.Columns % d != 0)
            throw new ArgumentException($"{t} is not made of heads of {d} values");
        Span<float> table = stackalloc float[d];
        for (int r = 0; r < t.Rows; r++)
        {
            rope.CosSin(positions[r], table);
            var row = t.Row(r);
            for (int h = 0; h < row.Length; h += d) rope.RotateNeox(row.Slice(h, d), table);
        }
    }

    /// <inheritdoc/>
    public void Attention(BackendTensor queries, BackendTensor keys, BackendTensor values, ReadOnlySpan<int> queryPositions,
        ReadOnlySpan<int> keyPositions, int window, WeightTensor sinks, float scale, BackendTensor output)
    {
        var (q, k, v, o) = (Own(queries), Own(keys), Own(values), Own(output));
        int heads = sinks.RowLength, tokens = q.Rows, slots = keyPositions.Length;
        if (q.Columns % heads != 0)
            throw new ArgumentException($"queries {q} do not split into {heads} heads");
        int d = q.Columns / heads, kvWidth = k.Columns;
        if (kvWidth % d != 0 || heads % (kvWidth / d) != 0 || v.Columns != kvWidth || v.Type != k.Type || slots > k.Rows || k.Rows != v.Rows)
            throw new ArgumentException($"keys {k} and values {v} do not fit queries {q} with {heads} heads of {d}");
        RequireRows(q, queryPositions.Length);
        RequireSameShape(q, o);
        int group = heads / (kvWidth / d);

        var keyFloats = Widened(k, slots);
        var valueFloats = Widened(v, slots);
        var sink = sinks.F32Row().ToArray();
        var qPos = queryPositions.ToArray();
        var kPos = keyPositions.ToArray();
        var order = Enumerable.Range(0, slots).Where(s => kPos[s] >= 0).OrderBy(s => kPos[s]).ToArray();
        bool roundQuery = k.Type == GgmlType.F16;
        try
        {
            Parallel.For(0, tokens * heads, _parallel, item =>
            {
                int t = item / heads, h = item % heads;
                Span<float> qh = stackalloc float[d];
                q.Row(t).Slice(h * d, d).CopyTo(qh);
                if (roundQuery)
                    foreach (ref var x in qh) x = (float)(Half)x;
                AttentionWithSinks.F32(qh, keyFloats.AsSpan(0, slots * kvWidth), valueFloats.AsSpan(0, slots * kvWidth), kvWidth,
                    h / group * d, order, kPos, qPos[t], window, sink[h], scale, halfAccumulator: v.Type == GgmlType.F16, o.Row(t).Slice(h * d, d));
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keyFloats);
            ArrayPool<float>.Shared.Return(valueFloats);
        }
    }

    // The first rows of a cache tensor as floats, in a pooled array.
    private static float[] Widened(CpuTensor cache, int rows)
    {
        int n = rows * cache.Columns;
        var floats = ArrayPool<float>.Shared.Rent(Math.Max(1, n));
        if (cache.Type == GgmlType.F16)
            TensorPrimitives.ConvertToSingle(cache.F16.AsSpan(0, n), floats.AsSpan(0, n));
        else
            cache.F32.AsSpan(0, n).CopyTo(floats);
        return floats;
    }
}
