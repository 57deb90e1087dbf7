// Q8_0Mxfp4wMatMul with AVX2 and FMA, as ggml's own AVX2 kernel: vpshufb of the 16 kvalues by nibble, then
// vpmaddubsw(|w|, sign(x, w)) and vpmaddwd with ones for the 4-value integer sums, vcvtdq2ps and an FMA per block.
// A weight block is decoded once per tile of up to four activation rows.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Avx2Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            case 1: Avx2Rows<Tile1>(m, rowStart, rowEnd, first); break;
            case 2: Avx2Rows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3: Avx2Rows<Tile3>(m, rowStart, rowEnd, first); break;
            default: Avx2Rows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    /// <summary>The 32 weights of an MXFP4 block as int8: low nibbles are values 0..15, high nibbles 16..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> DecodeAvx2(byte* block, Vector128<sbyte> table)
    {
        var bits = Sse2.LoadVector128(block + 1);
        var mask = Vector128.Create((byte)0x0F);
        var low = Ssse3.Shuffle(table, (bits & mask).AsSByte());
        var high = Ssse3.Shuffle(table, (Sse2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & mask).AsSByte());
        return Vector256.Create(low, high);
    }

    private static void Avx2Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        var table = QuantMath.Mxfp4Values;
        var e8m0 = QuantMath.Mxfp4Scales;
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
            int b = 0;
            for (; b + 1 < blocks; b += 2)
            {
                byte* even = w + b * BlockBytes, odd = even + BlockBytes;
                var we = DecodeAvx2(even, table);
                var wo = DecodeAvx2(odd, table);
                var ae = Avx2.Abs(we);
                var ao = Avx2.Abs(wo);
                float de = e8m0[even[0]], dO = e8m0[odd[0]];
                int at = b * 32;
                e0 = QuantMath.Avx2Block(e0, ae, we, x0 + at, s0[b] * de);
                o0 = QuantMath.Avx2Block(o0, ao, wo, x0 + at + 32, s0[b + 1] * dO);
                if (T.N > 1)
                {
                    e1 = QuantMath.Avx2Block(e1, ae, we, x1 + at, s1[b] * de);
                    o1 = QuantMath.Avx2Block(o1, ao, wo, x1 + at + 32, s1[b + 1] * dO);
                }
                if (T.N > 2)
                {
                    e2 = QuantMath.Avx2Block(e2, ae, we, x2 + at, s2[b] * de);
                    o2 = QuantMath.Avx2Block(o2, ao, wo, x2 + at + 32, s2[b + 1] * dO);
                }
                if (T.N > 3)
                {
                    e3 = QuantMath.Avx2Block(e3, ae, we, x3 + at, s3[b] * de);
                    o3 = QuantMath.Avx2Block(o3, ao, wo, x3 + at + 32, s3[b + 1] * dO);
                }
            }
            Finish(m, first, r, QuantMath.Sum(e0 + o0), w, b, x0, s0);
            if (T.N > 1) Finish(m, first + 1, r, QuantMath.Sum(e1 + o1), w, b, x1, s1);
            if (T.N > 2) Finish(m, first + 2, r, QuantMath.Sum(e2 + o2), w, b, x2, s2);
            if (T.N > 3) Finish(m, first + 3, r, QuantMath.Sum(e3 + o3), w, b, x3, s3);
        }
    }

    // Adds the last odd block (if any) as the reference does, after the reduction, and stores the result.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(in QuantMatMul m, int i, int r, float sum, byte* w, int b, sbyte* x, float* s)
    {
        if (b < m.Blocks)
        {
            byte* block = w + b * BlockBytes;
            sum += s[b] * QuantMath.Mxfp4Scales[block[0]] * BlockTotal(block, x + b * 32);
        }
        m.Output(i)[r] = sum;
    }
}
