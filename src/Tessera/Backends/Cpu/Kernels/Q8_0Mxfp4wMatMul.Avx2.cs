// Q8_0Mxfp4wMatMul with AVX2 and FMA. The weights are decoded to kvalues + 12 (0..24, unsigned) by one vpsrlvd, one
// mask and one vpshufb; vpmaddubsw multiplies them by the signed activations (no pair can saturate) and vpmaddwd sums
// groups of four, to which the activation's −12·Σx is added (Q8_0Rows). The same loop, with one vpdpbusd instead, is
// the AVX-VNNI path. A weight block is decoded once per tile of up to four activation rows.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Avx2Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            case 1: OffsetRows<Tile1, Avx2Dot>(m, rowStart, rowEnd, first); break;
            case 2: OffsetRows<Tile2, Avx2Dot>(m, rowStart, rowEnd, first); break;
            case 3: OffsetRows<Tile3, Avx2Dot>(m, rowStart, rowEnd, first); break;
            default: OffsetRows<Tile4, Avx2Dot>(m, rowStart, rowEnd, first); break;
        }
    }

    /// <summary>One block's acc + d·(group sums), from weights offset to unsigned bytes and the activation's start.</summary>
    private interface IOffsetDot
    {
        static abstract Vector256<float> Block(Vector256<float> acc, Vector256<byte> w, sbyte* x, int* start, float d);
    }

    private struct Avx2Dot : IOffsetDot
    {
        public static Vector256<float> Block(Vector256<float> acc, Vector256<byte> w, sbyte* x, int* start, float d) => QuantMath.Avx2OffsetBlock(acc, w, x, start, d);
    }

    private static void OffsetRows<T, D>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile where D : struct, IOffsetDot
    {
        int blocks = m.Blocks;
        float* e8m0 = QuantMath.Mxfp4ScalesPointer;
        var table = QuantMath.Mxfp4ValuesPlus12;
        var shifts = QuantMath.NibbleShifts;
        var mask = Vector256.Create((byte)0x0F);
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        int* c0 = m.StartsMxfp4(first), c1 = T.N > 1 ? m.StartsMxfp4(first + 1) : null, c2 = T.N > 2 ? m.StartsMxfp4(first + 2) : null, c3 = T.N > 3 ? m.StartsMxfp4(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
            // One byte offset serves quants (32 per block) and starts (8 ints per block); scales advance by 4 per block.
            byte* even = w;
            nint at = 0, end = (nint)(blocks & ~1) * 32;
            for (; at < end; at += 64, even += 2 * BlockBytes)
            {
                byte* odd = even + BlockBytes;
                var we = QuantMath.DecodeMxfp4Plus12(even, table, shifts, mask);
                var wo = QuantMath.DecodeMxfp4Plus12(odd, table, shifts, mask);
                float de = e8m0[even[0]], dO = e8m0[odd[0]];
                nint sc = at >> 3;
                e0 = D.Block(e0, we, x0 + at, (int*)((byte*)c0 + at), *(float*)((byte*)s0 + sc) * de);
                o0 = D.Block(o0, wo, x0 + at + 32, (int*)((byte*)c0 + at + 32), *(float*)((byte*)s0 + sc + 4) * dO);
                if (T.N > 1)
                {
                    e1 = D.Block(e1, we, x1 + at, (int*)((byte*)c1 + at), *(float*)((byte*)s1 + sc) * de);
                    o1 = D.Block(o1, wo, x1 + at + 32, (int*)((byte*)c1 + at + 32), *(float*)((byte*)s1 + sc + 4) * dO);
                }
                if (T.N > 2)
                {
                    e2 = D.Block(e2, we, x2 + at, (int*)((byte*)c2 + at), *(float*)((byte*)s2 + sc) * de);
                    o2 = D.Block(o2, wo, x2 + at + 32, (int*)((byte*)c2 + at + 32), *(float*)((byte*)s2 + sc + 4) * dO);
                }
                if (T.N > 3)
                {
                    e3 = D.Block(e3, we, x3 + at, (int*)((byte*)c3 + at), *(float*)((byte*)s3 + sc) * de);
                    o3 = D.Block(o3, wo, x3 + at + 32, (int*)((byte*)c3 + at + 32), *(float*)((byte*)s3 + sc + 4) * dO);
                }
            }
            int b = blocks & ~1;
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
            sum += s[b] * QuantMath.Mxfp4ScalesPointer[block[0]] * BlockTotal(block, x + b * 32);
        }
        m.Output(i)[r] = sum;
    }
}
