// Q8_0Q8_0wMatMul with AVX-VNNI: one vpdpbusd per block and activation row over the activations biased by 128, started
// from −128·Σw per 4-value group (QuantMath.VnniBias, once per weight block), which cancels the bias exactly.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
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
        byte* x0 = m.BiasedQuants(first), x1 = T.N > 1 ? m.BiasedQuants(first + 1) : null, x2 = T.N > 2 ? m.BiasedQuants(first + 2) : null, x3 = T.N > 3 ? m.BiasedQuants(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* block = w + b * BlockBytes;
                var wv = Avx.LoadVector256((sbyte*)(block + 2));
                var bias = QuantMath.VnniBias(wv);
                float d = QuantMath.Q8_0Scale(block);
                int at = b * 32;
                a0 = QuantMath.VnniBlock(a0, bias, wv, x0 + at, d * s0[b]);
                if (T.N > 1) a1 = QuantMath.VnniBlock(a1, bias, wv, x1 + at, d * s1[b]);
                if (T.N > 2) a2 = QuantMath.VnniBlock(a2, bias, wv, x2 + at, d * s2[b]);
                if (T.N > 3) a3 = QuantMath.VnniBlock(a3, bias, wv, x3 + at, d * s3[b]);
            }
            m.Output(first)[r] = QuantMath.Sum(a0);
            if (T.N > 1) m.Output(first + 1)[r] = QuantMath.Sum(a1);
            if (T.N > 2) m.Output(first + 2)[r] = QuantMath.Sum(a2);
            if (T.N > 3) m.Output(first + 3)[r] = QuantMath.Sum(a3);
        }
    }
}
