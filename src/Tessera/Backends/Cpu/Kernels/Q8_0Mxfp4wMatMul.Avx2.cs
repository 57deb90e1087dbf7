// Q8_0Mxfp4wMatMul with AVX2 and FMA (and, with VnniDot, AVX-VNNI). Eight weight rows at a time: each pair of rows is
// decoded into two registers, [row a | row b] values 0..15 and values 16..31 (one vpshufb each, to kvalues + 12 so they
// are unsigned), multiplied by the activation block's halves broadcast to both lanes, and three vphaddd turn the four
// pairs' partial sums into one block sum per row. The activation's −12·Σx (Q8_0Rows) makes the sums exact; then one FMA
// per block updates 8 rows' accumulators, each lane its row's own chain, as the reference's. Rows left over (fewer than
// 8) take a one-row loop with a horizontal sum. A weight block is decoded once per tile of up to four activation rows.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private struct Avx2Loop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => Rows8<T, Avx2Dot>(m, rowStart, rowEnd, first);
    }

    /// <summary>Integer dots of unsigned weights (kvalues + 12) with signed activation quants.</summary>
    private interface IBlockDot
    {
        /// <summary>Lanes 0..3: row a's sums over values {4j..4j+3, 16+4j..16+4j+3}; lanes 4..7: row b's.</summary>
        static abstract Vector256<int> Pair(Vector256<byte> low, Vector256<byte> high, Vector256<sbyte> xLow, Vector256<sbyte> xHigh);

        /// <summary>The 8 group sums of one row's block (values in order).</summary>
        static abstract Vector256<int> Row(Vector256<byte> w, Vector256<sbyte> x);
    }

    // vpmaddubsw, then vpmaddwd with ones; two pairs of products fit 16 bits (at most 2·24·127·2).
    private struct Avx2Dot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Pair(Vector256<byte> low, Vector256<byte> high, Vector256<sbyte> xLow, Vector256<sbyte> xHigh) =>
            Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, xLow) + Avx2.MultiplyAddAdjacent(high, xHigh), Vector256.Create((short)1));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Row(Vector256<byte> w, Vector256<sbyte> x) =>
            Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256.Create((short)1));
    }

    private static void Rows8<T, D>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile where D : struct, IBlockDot
    {
        int blocks = m.Blocks;
        nint stride = (nint)m.RowBytes;
        float* e8m0 = QuantMath.Mxfp4ScalesPointer;
        var table = QuantMath.Mxfp4ValuesPlus12;
        var mask = Vector256.Create((byte)0x0F);
        var natural = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        int* c0 = m.StartsMxfp4(first), c1 = T.N > 1 ? m.StartsMxfp4(first + 1) : null, c2 = T.N > 2 ? m.StartsMxfp4(first + 2) : null, c3 = T.N > 3 ? m.StartsMxfp4(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        int r = rowStart;
        for (; r + 8 <= rowEnd; r += 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            byte* block = m.Row(r);
            // The next 8 rows, 2 cache lines per block, so they are on their way when this group is done (the hardware
            // prefetchers alone reach about half the memory's read rate on this pattern).
            byte* ahead = block + 8 * stride;
            for (int b = 0; b < blocks; b++, block += BlockBytes, ahead += 8 * BlockBytes)
            {
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + 64);
                var (low0, high0) = DecodePair(block, block + stride, table, mask);
                var (low1, high1) = DecodePair(block + 2 * stride, block + 3 * stride, table, mask);
                var (low2, high2) = DecodePair(block + 4 * stride, block + 5 * stride, table, mask);
                var (low3, high3) = DecodePair(block + 6 * stride, block + 7 * stride, table, mask);
                // Lane order of the sums below: rows 0, 2, 4, 6, 1, 3, 5, 7.
                var ws = Vector256.Create(e8m0[block[0]], e8m0[block[2 * stride]], e8m0[block[4 * stride]], e8m0[block[6 * stride]],
                    e8m0[block[stride]], e8m0[block[3 * stride]], e8m0[block[5 * stride]], e8m0[block[7 * stride]]);
                nint at = (nint)b * 32;
                a0 = Token<D>(a0, low0, high0, low1, high1, low2, high2, low3, high3, x0 + at, c0[b], ws, s0[b]);
                if (T.N > 1) a1 = Token<D>(a1, low0, high0, low1, high1, low2, high2, low3, high3, x1 + at, c1[b], ws, s1[b]);
                if (T.N > 2) a2 = Token<D>(a2, low0, high0, low1, high1, low2, high2, low3, high3, x2 + at, c2[b], ws, s2[b]);
                if (T.N > 3) a3 = Token<D>(a3, low0, high0, low1, high1, low2, high2, low3, high3, x3 + at, c3[b], ws, s3[b]);
            }
            Avx2.PermuteVar8x32(a0, natural).Store(m.Output(first) + r);
            if (T.N > 1) Avx2.PermuteVar8x32(a1, natural).Store(m.Output(first + 1) + r);
            if (T.N > 2) Avx2.PermuteVar8x32(a2, natural).Store(m.Output(first + 2) + r);
            if (T.N > 3) Avx2.PermuteVar8x32(a3, natural).Store(m.Output(first + 3) + r);
        }
        for (; r < rowEnd; r++)
            for (int i = first; i < first + T.N; i++) m.Output(i)[r] = OneRow<D>(m, m.Row(r), i, table);
    }

    // Rows a and b of one block: [a | b] values 0..15 (low nibbles) and values 16..31 (high nibbles), as kvalues + 12.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High) DecodePair(byte* a, byte* b, Vector256<byte> table, Vector256<byte> mask)
    {
        var bits = Vector256.Create(Vector128.Load(a + 1), Vector128.Load(b + 1));
        return (Avx2.Shuffle(table, bits & mask), Avx2.Shuffle(table, Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & mask));
    }

    // One activation row against 8 weight rows' block: the block sums (exact), then acc = fma(sum, d_w·d_x, acc).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Token<D>(Vector256<float> acc, Vector256<byte> low0, Vector256<byte> high0, Vector256<byte> low1, Vector256<byte> high1,
        Vector256<byte> low2, Vector256<byte> high2, Vector256<byte> low3, Vector256<byte> high3, sbyte* x, int start, Vector256<float> ws, float xs)
        where D : struct, IBlockDot
    {
        var xLow = Avx2.BroadcastVector128ToVector256(x);
        var xHigh = Avx2.BroadcastVector128ToVector256(x + 16);
        var sums = Avx2.HorizontalAdd(
            Avx2.HorizontalAdd(D.Pair(low0, high0, xLow, xHigh), D.Pair(low1, high1, xLow, xHigh)),
            Avx2.HorizontalAdd(D.Pair(low2, high2, xLow, xHigh), D.Pair(low3, high3, xLow, xHigh))) + Vector256.Create(start);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), ws * Vector256.Create(xs), acc);
    }

    // A single weight row against activation row i: per block the 8 group sums added up, then the scalar FMA chain.
    private static float OneRow<D>(in QuantMatMul m, byte* w, int i, Vector256<byte> table) where D : struct, IBlockDot
    {
        sbyte* x = m.Quants(i);
        int* start = m.StartsMxfp4(i);
        float* s = m.Scales(i);
        var shifts = QuantMath.NibbleShifts;
        var mask = Vector256.Create((byte)0x0F);
        float acc = 0;
        for (int b = 0; b < m.Blocks; b++, w += BlockBytes)
        {
            var sums = D.Row(QuantMath.DecodeMxfp4Plus12(w, table, shifts, mask), Avx.LoadVector256(x + b * 32));
            acc = MathF.FusedMultiplyAdd(Vector256.Sum(sums) + start[b], QuantMath.Mxfp4ScalesPointer[w[0]] * s[b], acc);
        }
        return acc;
    }
}
