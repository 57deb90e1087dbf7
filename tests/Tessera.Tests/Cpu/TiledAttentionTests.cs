// The fast attention path's kernel (TiledAttention): every ISA path gives the scalar reference's bits, and so does
// split-K (each chunk on its own, merged after) and any cut of the rows into tiles; head sizes with and without vector
// tails, 1 to 8 query heads, 1 to 9 tokens, F16 and F32 caches, wrapped rings with empty slots, sliding windows, sinks
// above and below the scores, depths across several chunks.

using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public unsafe class TiledAttentionTests
{
    public static TheoryData<int, int, int, int, int, bool> Cases() => new()
    {
        // head size, query heads, tokens, slots, window, F16 cache
        { 64, 8, 1, 1, 0, true },
        { 64, 8, 1, 700, 0, true },
        { 64, 8, 5, 700, 0, false },
        { 64, 8, 3, 300, 128, true },
        { 64, 4, 9, 130, 0, true },
        { 32, 2, 4, 600, 16, false },
        { 16, 1, 1, 9, 0, true },
        { 48, 3, 2, 290, 5, true },
        { 7, 2, 3, 13, 0, false },
        { 96, 6, 2, 64, 0, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryIsaPathSplitAndTilingGivesTheReferenceBits(int d, int heads, int tokens, int slots, int window, bool half)
    {
        var rng = new Random(d * 1000 + heads * 100 + slots + tokens);
        var c = new Case(rng, d, heads, tokens, slots, window, half);
        var expected = c.Run(CpuIsa.Scalar, split: false, tileTokens: tokens);
        Assert.All(expected, x => Assert.True(float.IsFinite(x)));
        foreach (var isa in CpuIsaSupport.Supported)
            foreach (var (split, tileTokens) in new[] { (false, tokens), (true, tokens), (false, 1), (true, 2) })
                Assert.True(expected.AsSpan().SequenceEqual(c.Run(isa, split, tileTokens)), $"{isa}, split {split}, {tileTokens} tokens per tile");
    }

    // A cache of `slots` rows with 2 KV heads (the tile uses head 1), keys in a rotated ring with one empty slot, the
    // batch's tokens at the last positions.
    private sealed class Case
    {
        private readonly int _d, _heads, _tokens, _window, _rowWidth, _ordered, _chunks;
        private readonly bool _half;
        private readonly Half[] _keysHalf, _valuesHalf;
        private readonly float[] _keys, _values, _queries, _sinks;
        private readonly int[] _order, _orderPositions, _blockStarts, _chunkStarts, _queryPositions;

        public Case(Random rng, int d, int heads, int tokens, int slots, int window, bool half)
        {
            (_d, _heads, _tokens, _window, _half) = (d, heads, tokens, window, half);
            _rowWidth = 2 * d;
            _keys = CpuKernelData.Floats(rng, slots * _rowWidth, 0.5f);
            _values = CpuKernelData.Floats(rng, slots * _rowWidth, 2);
            _keysHalf = _keys.Select(v => (Half)v).ToArray();
            _valuesHalf = _values.Select(v => (Half)v).ToArray();
            _queries = CpuKernelData.Floats(rng, tokens * heads * d, 0.5f);
            _sinks = Enumerable.Range(0, heads).Select(h => h % 3 == 0 ? 30f : (float)rng.NextDouble() * 4 - 2).ToArray();
            int shift = slots / 3;
            var positions = Enumerable.Range(0, slots).Select(s => (s + slots - shift) % slots).ToArray();
            if (slots > 4) positions[2] = -1;
            _order = Enumerable.Range(0, slots).Where(s => positions[s] >= 0).OrderBy(s => positions[s]).ToArray();
            _ordered = _order.Length;
            _orderPositions = _order.Select(s => positions[s]).ToArray();
            _blockStarts = new int[_ordered + 1];
            _chunkStarts = new int[_ordered + 1];
            _chunks = TiledAttention.Cut(_orderPositions, _ordered, _blockStarts, _chunkStarts);
            _queryPositions = Enumerable.Range(0, tokens).Select(t => slots - tokens + t).ToArray();
        }

        public float[] Run(CpuIsa isa, bool split, int tileTokens)
        {
            var output = new float[_tokens * _heads * _d];
            var scratch = new float[TiledAttention.ScratchLength(tileTokens * _heads, _d)];
            int stateLength = TiledAttention.StateLength(tileTokens * _heads, _d);
            var states = new float[Math.Max(1, _chunks) * stateLength];
            fixed (Half* kh = _keysHalf, vh = _valuesHalf)
            fixed (float* kf = _keys, vf = _values, q = _queries, o = output, s = _sinks, sc = scratch, st = states)
            fixed (int* ord = _order, op = _orderPositions, bs = _blockStarts, cs = _chunkStarts, qp = _queryPositions)
            {
                for (int first = 0; first < _tokens; first += tileTokens)
                {
                    var a = new AttentionTile
                    {
                        Queries = q + first * _heads * _d, QueryStride = _heads * _d, QueryPositions = qp + first,
                        Tokens = Math.Min(tileTokens, _tokens - first), Heads = _heads, HeadSize = _d, Sinks = s, Scale = 1f / MathF.Sqrt(_d),
                        Window = _window, Keys = _half ? kh : kf, Values = _half ? vh : vf, HalfCache = _half, RowWidth = _rowWidth,
                        HeadOffset = _d, Order = ord, OrderPositions = op, BlockStarts = bs, ChunkStarts = cs, Chunks = _chunks,
                        Output = o + first * _heads * _d, Scratch = sc,
                    };
                    if (!split)
                    {
                        TiledAttention.Attend(isa, a);
                        continue;
                    }
                    for (int c = 0; c < _chunks; c++) TiledAttention.AttendChunk(isa, a, c, st + c * stateLength);
                    TiledAttention.Finish(isa, a, st, _chunks, stateLength);
                }
            }
            return output;
        }
    }
}
