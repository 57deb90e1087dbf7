// Q8_0Q8_0wMatMul with AVX-VNNI: one vpdpbusd per block and activation row. The weight quants are made unsigned by
// flipping their sign bit (w + 128) once per weight block, and each sum starts from the activation's −128·Σx per
// 4-value group (Q8_0Rows): Σ(w + 128)·x − 128·Σx = Σw·x, exact in 32-bit integers.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private struct VnniLoop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => AvxVnniRows<T>(m, rowStart, rowEnd, first);
    }

    private static void AvxVnniRows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        int* c0 = m.StartsQ8_0(first), c1 = T.N > 1 ? m.StartsQ8_0(first + 1) : null, c2 = T.N > 2 ? m.StartsQ8_0(first + 2) : null, c3 = T.N > 3 ? m.StartsQ8_0(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            // One byte offset serves quants (32 per block) and starts (8 ints per block); scales advance by 4 per block.
            byte* block = w;
            var flip = Vector256.Create((byte)0x80);
            // The next row, one block ahead per block, so it is on its way when this one is done.
            byte* ahead = block + m.RowBytes;
            for (nint at = 0, end = (nint)blocks * 32; at < end; at += 32, block += BlockBytes, ahead += BlockBytes)
            {
                Sse.Prefetch0(ahead);
                var wv = Avx.LoadVector256(block + 2) ^ flip;
                float d = QuantMath.Q8_0Scale(block);
                nint sc = at >> 3;
                a0 = QuantMath.VnniBlock(a0, wv, x0 + at, (int*)((byte*)c0 + at), d * *(float*)((byte*)s0 + sc));
                if (T.N > 1) a1 = QuantMath.VnniBlock(a1, wv, x1 + at, (int*)((byte*)c1 + at), d * *(float*)((byte*)s1 + sc));
                if (T.N > 2) a2 = QuantMath.VnniBlock(a2, wv, x2 + at, (int*)((byte*)c2 + at), d * *(float*)((byte*)s2 + sc));
                if (T.N > 3) a3 = QuantMath.VnniBlock(a3, wv, x3 + at, (int*)((byte*)c3 + at), d * *(float*)((byte*)s3 + sc));
            }
            m.Output(first)[r] = QuantMath.Sum(a0);
            if (T.N > 1) m.Output(first + 1)[r] = QuantMath.Sum(a1);
            if (T.N > 2) m.Output(first + 2)[r] = QuantMath.Sum(a2);
            if (T.N > 3) m.Output(first + 3)[r] = QuantMath.Sum(a3);
        }
    }
}
