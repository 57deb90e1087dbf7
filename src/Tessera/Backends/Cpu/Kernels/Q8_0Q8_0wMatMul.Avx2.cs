// Q8_0Q8_0wMatMul with AVX2 and FMA, as ggml's AVX2 kernel: vpmaddubsw(|w|, sign(x, w)), vpmaddwd with ones, vcvtdq2ps
// and an FMA per block; |w| is taken once per weight block for a tile of up to four activation rows. The same loop, with
// a one-vpdpbusd block (Q8_0Q8_0wMatMul.AvxVnni.cs), is the AVX-VNNI path. Each weight row prefetches the next.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private struct Avx2Loop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => Rows<T, Avx2Dot>(m, rowStart, rowEnd, first);
    }

    /// <summary>One weight block's contribution for one activation row: acc + d·(4-value group sums of w·x).</summary>
    private interface IBlockDot
    {
        /// <summary>The weight block's 32 quants as this dot wants them, once per tile.</summary>
        static abstract (Vector256<byte> A, Vector256<sbyte> B) Prepare(byte* quants);

        static abstract Vector256<float> Block(Vector256<float> acc, Vector256<byte> a, Vector256<sbyte> b, sbyte* x, int* start, float d);
    }

    // |w| and w itself for vpsign (the activation starts are not needed).
    private struct Avx2Dot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<byte> A, Vector256<sbyte> B) Prepare(byte* quants)
        {
            var w = Avx.LoadVector256((sbyte*)quants);
            return (Avx2.Abs(w), w);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Block(Vector256<float> acc, Vector256<byte> a, Vector256<sbyte> b, sbyte* x, int* start, float d) =>
            QuantMath.Avx2Block(acc, a, b, x, d);
    }

    private static void Rows<T, D>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile where D : struct, IBlockDot
    {
        int blocks = m.Blocks;
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        int* c0 = m.StartsQ8_0(first), c1 = T.N > 1 ? m.StartsQ8_0(first + 1) : null, c2 = T.N > 2 ? m.StartsQ8_0(first + 2) : null, c3 = T.N > 3 ? m.StartsQ8_0(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            // One byte offset serves quants (32 per block) and starts (8 ints per block); scales advance by 4 per block.
            byte* block = m.Row(r), ahead = block + m.RowBytes;
            for (nint at = 0, end = (nint)blocks * 32; at < end; at += 32, block += BlockBytes, ahead += BlockBytes)
            {
                Sse.Prefetch0(ahead);
                var (wa, wb) = D.Prepare(block + 2);
                float d = QuantMath.Q8_0Scale(block);
                nint sc = at >> 3;
                a0 = D.Block(a0, wa, wb, x0 + at, (int*)((byte*)c0 + at), d * *(float*)((byte*)s0 + sc));
                if (T.N > 1) a1 = D.Block(a1, wa, wb, x1 + at, (int*)((byte*)c1 + at), d * *(float*)((byte*)s1 + sc));
                if (T.N > 2) a2 = D.Block(a2, wa, wb, x2 + at, (int*)((byte*)c2 + at), d * *(float*)((byte*)s2 + sc));
                if (T.N > 3) a3 = D.Block(a3, wa, wb, x3 + at, (int*)((byte*)c3 + at), d * *(float*)((byte*)s3 + sc));
            }
            m.Output(first)[r] = QuantMath.Sum(a0);
            if (T.N > 1) m.Output(first + 1)[r] = QuantMath.Sum(a1);
            if (T.N > 2) m.Output(first + 2)[r] = QuantMath.Sum(a2);
            if (T.N > 3) m.Output(first + 3)[r] = QuantMath.Sum(a3);
        }
    }
}
