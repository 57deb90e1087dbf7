// Q8_0Q8_0wMatMul with AVX2 and FMA, as ggml's AVX2 kernel: vpmaddubsw(|w|, sign(x, w)), vpmaddwd with ones, vcvtdq2ps
// and an FMA per block; |w| is taken once per weight block for a tile of up to four activation rows.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private struct Avx2Loop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => Avx2Rows<T>(m, rowStart, rowEnd, first);
    }

    private static void Avx2Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            byte* block = w;
            // The next row, one block ahead per block, so it is on its way when this one is done.
            byte* ahead = block + m.RowBytes;
            for (nint at = 0, end = (nint)blocks * 32; at < end; at += 32, block += BlockBytes, ahead += BlockBytes)
            {
                Sse.Prefetch0(ahead);
                var wv = Avx.LoadVector256((sbyte*)(block + 2));
                var aw = Avx2.Abs(wv);
                float d = QuantMath.Q8_0Scale(block);
                nint sc = at >> 3;
                a0 = QuantMath.Avx2Block(a0, aw, wv, x0 + at, d * *(float*)((byte*)s0 + sc));
                if (T.N > 1) a1 = QuantMath.Avx2Block(a1, aw, wv, x1 + at, d * *(float*)((byte*)s1 + sc));
                if (T.N > 2) a2 = QuantMath.Avx2Block(a2, aw, wv, x2 + at, d * *(float*)((byte*)s2 + sc));
                if (T.N > 3) a3 = QuantMath.Avx2Block(a3, aw, wv, x3 + at, d * *(float*)((byte*)s3 + sc));
            }
            m.Output(first)[r] = QuantMath.Sum(a0);
            if (T.N > 1) m.Output(first + 1)[r] = QuantMath.Sum(a1);
            if (T.N > 2) m.Output(first + 2)[r] = QuantMath.Sum(a2);
            if (T.N > 3) m.Output(first + 3)[r] = QuantMath.Sum(a3);
        }
    }
}
