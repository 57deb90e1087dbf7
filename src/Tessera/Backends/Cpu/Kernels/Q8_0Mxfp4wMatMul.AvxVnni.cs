// Q8_0Mxfp4wMatMul with AVX-VNNI: one vpdpbusd per block and activation row. vpdpbusd wants an unsigned operand, so it
// takes the activations biased by 128 and starts from −128·Σw per 4-value group (itself one vpdpbusd of 0x80 bytes with
// the block, computed once per weight block): Σ(x + 128)·w − 128·Σw = Σx·w, exact in 32-bit integers.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void AvxVnniTile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            case 1: AvxVnniRows<Tile1>(m, rowStart, rowEnd, first); break;
            case 2: AvxVnniRows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3: AvxVnniRows<Tile3>(m, rowStart, rowEnd, first); break;
            default: AvxVnniRows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    private static void AvxVnniRows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        var table = QuantMath.Mxfp4Values;
        var e8m0 = QuantMath.Mxfp4Scales;
        byte* x0 = m.BiasedQuants(first), x1 = T.N > 1 ? m.BiasedQuants(first + 1) : null, x2 = T.N > 2 ? m.BiasedQuants(first + 2) : null, x3 = T.N > 3 ? m.BiasedQuants(first + 3) : null;
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
                var be = QuantMath.VnniBias(we);
                var bo = QuantMath.VnniBias(wo);
                float de = e8m0[even[0]], dO = e8m0[odd[0]];
                int at = b * 32;
                e0 = QuantMath.VnniBlock(e0, be, we, x0 + at, s0[b] * de);
                o0 = QuantMath.VnniBlock(o0, bo, wo, x0 + at + 32, s0[b + 1] * dO);
                if (T.N > 1)
                {
                    e1 = QuantMath.VnniBlock(e1, be, we, x1 + at, s1[b] * de);
                    o1 = QuantMath.VnniBlock(o1, bo, wo, x1 + at + 32, s1[b + 1] * dO);
                }
                if (T.N > 2)
                {
                    e2 = QuantMath.VnniBlock(e2, be, we, x2 + at, s2[b] * de);
                    o2 = QuantMath.VnniBlock(o2, bo, wo, x2 + at + 32, s2[b + 1] * dO);
                }
                if (T.N > 3)
                {
                    e3 = QuantMath.VnniBlock(e3, be, we, x3 + at, s3[b] * de);
                    o3 = QuantMath.VnniBlock(o3, bo, wo, x3 + at + 32, s3[b + 1] * dO);
                }
            }
            Finish(m, first, r, QuantMath.Sum(e0 + o0), w, b, m.Quants(first), s0);
            if (T.N > 1) Finish(m, first + 1, r, QuantMath.Sum(e1 + o1), w, b, m.Quants(first + 1), s1);
            if (T.N > 2) Finish(m, first + 2, r, QuantMath.Sum(e2 + o2), w, b, m.Quants(first + 2), s2);
            if (T.N > 3) Finish(m, first + 3, r, QuantMath.Sum(e3 + o3), w, b, m.Quants(first + 3), s3);
        }
    }
}
