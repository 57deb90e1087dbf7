// Attention with sinks over an F16 cache: the scalar path equals AttentionWithSinks (the ggml-exact reference) on widened
// values, and every ISA path gives its bits: head sizes with and without 32-value blocks and vector tails, groups of 1 to
// 8 query heads, linear and wrapped slot orders, sliding windows, masked and empty slots, sinks above and below the scores.

using System.Runtime.InteropServices;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public unsafe class F16KvAttentionTests
{
    public static TheoryData<int, int, int, int> Cases() => new()
    {
        // head size, query heads in the group, slots, window
        { 64, 8, 1, 0 },
        { 64, 8, 37, 0 },
        { 64, 8, 200, 128 },
        { 64, 4, 130, 0 },
        { 32, 2, 50, 16 },
        { 16, 1, 9, 0 },
        { 48, 3, 21, 5 },
        { 7, 2, 13, 0 },
        { 96, 6, 64, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryIsaPathMatchesTheReference(int d, int heads, int slots, int window)
    {
        var rng = new Random(d * 1000 + heads * 100 + slots);
        const int kvHeads = 2, kvHead = 1;
        int rowWidth = kvHeads * d;
        var keys = CpuKernelData.Floats(rng, slots * rowWidth, 2).Select(v => (Half)v).ToArray();
        var values = CpuKernelData.Floats(rng, slots * rowWidth, 2).Select(v => (Half)v).ToArray();
        var queries = CpuKernelData.Floats(rng, heads * d, 2);
        var sinks = Enumerable.Range(0, heads).Select(h => h % 2 == 0 ? 30f : (float)rng.NextDouble() - 0.5f).ToArray();
        // A ring that has wrapped: slot s holds position (s + shift) mod slots ... with one slot empty.
        int shift = slots / 3;
        var positions = Enumerable.Range(0, slots).Select(s => (s + slots - shift) % slots).ToArray();
        if (slots > 4) positions[2] = -1;
        var order = Enumerable.Range(0, slots).Where(s => positions[s] >= 0).OrderBy(s => positions[s]).ToArray();
        int queryPosition = slots - 2;

        var expected = Run(CpuIsa.Scalar);
        // The scalar path is AttentionWithSinks itself, head by head, over the widened cache.
        var keyFloats = keys.Select(h => (float)h).ToArray();
        var valueFloats = values.Select(h => (float)h).ToArray();
        for (int h = 0; h < heads; h++)
        {
            var q = queries.AsSpan(h * d, d).ToArray().Select(v => (float)(Half)v).ToArray();
            var o = new float[d];
            AttentionWithSinks.F32(q, keyFloats, valueFloats, rowWidth, kvHead * d, order, positions, queryPosition, window, sinks[h], 0.125f, halfAccumulator: true, o);
            Assert.True(o.AsSpan().SequenceEqual(expected.AsSpan(h * d, d)), $"scalar head {h}");
        }
        foreach (var isa in CpuKernelData.FastPaths)
            Assert.True(expected.AsSpan().SequenceEqual(Run(isa)), $"{isa}");

        float[] Run(CpuIsa isa)
        {
            var output = new float[heads * d];
            var scratch = new float[F16KvAttention.ScratchLength(heads, d)];
            fixed (Half* k = keys, v = values)
            fixed (float* q = queries, o = output, s = sinks, sc = scratch)
            fixed (int* ord = order, pos = positions)
            {
                F16KvAttention.Group(isa, new AttentionGroup
                {
                    Queries = q, Heads = heads, HeadSize = d, Keys = (ushort*)k, Values = (ushort*)v, RowWidth = rowWidth, HeadOffset = kvHead * d,
                    Order = ord, OrderLength = order.Length, KeyPositions = pos, QueryPosition = queryPosition, Window = window,
                    Sinks = s, Scale = 0.125f, Output = o, Scratch = sc,
                });
            }
            return output;
        }
    }
}
