// Q8_0Mxfp4wMatMul with AVX-512 (BW): two blocks per 512-bit register, the even block in the low half and the odd one in
// the high half, which are exactly ggml's two accumulators. Both blocks' nibble bytes are broadcast to a lane pair each,
// the upper lane of each pair shifted by 4 (vpsrlvd), and one vpshufb decodes 64 weights to kvalues + 12; vpmaddubsw
// (no vpsignb needed, no pair saturates) and vpmaddwd give the group sums, to which the activation's −12·Σx is added.
// A single activation row (decoding) goes through the 256-bit loop (AVX-VNNI where present), which measured faster.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Avx512Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            // One activation row keeps a 512-bit register half idle; the 256-bit loop is faster there.
            case 1 when CpuIsaSupport.HasAvxVnni: OffsetRows<Tile1, VnniDot>(m, rowStart, rowEnd, first); break;
            case 1: OffsetRows<Tile1, Avx2Dot>(m, rowStart, rowEnd, first); break;
            case 2: Avx512Rows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3: Avx512Rows<Tile3>(m, rowStart, rowEnd, first); break;
            default: Avx512Rows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Avx512Pair(Vector512<float> acc, Vector512<byte> w, sbyte* x, int* start, float* s, Vector128<float> weightScales, Vector512<int> spread)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(w, Vector512.Load(x));
        var sums = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + Vector512.Load(start);
        var d = Vector128.CreateScalar(*(double*)s).AsSingle() * weightScales;
        return Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d.ToVector256Unsafe().ToVector512Unsafe(), spread), Avx512F.ConvertToVector512Single(sums), acc);
    }

    private static void Avx512Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        var table256 = QuantMath.Mxfp4ValuesPlus12;
        var table = Vector512.Create(table256, table256);
        var shifts = Vector512.Create(0u, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4);
        var spread = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var mask = Vector512.Create((byte)0x0F);
        float* e8m0 = QuantMath.Mxfp4ScalesPointer;
        sbyte* x0 = m.Quants(first), x1 = T.N > 1 ? m.Quants(first + 1) : null, x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        int* c0 = m.StartsMxfp4(first), c1 = T.N > 1 ? m.StartsMxfp4(first + 1) : null, c2 = T.N > 2 ? m.StartsMxfp4(first + 2) : null, c3 = T.N > 3 ? m.StartsMxfp4(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            // One byte offset serves quants (32 per block) and starts (8 ints per block); scales advance by 4 per block.
            byte* even = w;
            nint at = 0, end = (nint)(blocks & ~1) * 32;
            for (; at < end; at += 64, even += 2 * BlockBytes)
            {
                byte* odd = even + BlockBytes;
                var bits = Vector512.Create(Avx2.BroadcastVector128ToVector256(even + 1), Avx2.BroadcastVector128ToVector256(odd + 1));
                var wv = Avx512BW.Shuffle(table, Avx512F.ShiftRightLogicalVariable(bits.AsUInt32(), shifts).AsByte() & mask);
                var ws = Vector128.Create(e8m0[even[0]], e8m0[odd[0]], 0f, 0f);
                nint sc = at >> 3;
                a0 = Avx512Pair(a0, wv, x0 + at, (int*)((byte*)c0 + at), (float*)((byte*)s0 + sc), ws, spread);
                if (T.N > 1) a1 = Avx512Pair(a1, wv, x1 + at, (int*)((byte*)c1 + at), (float*)((byte*)s1 + sc), ws, spread);
                if (T.N > 2) a2 = Avx512Pair(a2, wv, x2 + at, (int*)((byte*)c2 + at), (float*)((byte*)s2 + sc), ws, spread);
                if (T.N > 3) a3 = Avx512Pair(a3, wv, x3 + at, (int*)((byte*)c3 + at), (float*)((byte*)s3 + sc), ws, spread);
            }
            int b = blocks & ~1;
            Finish(m, first, r, QuantMath.Sum(a0.GetLower() + a0.GetUpper()), w, b, x0, s0);
            if (T.N > 1) Finish(m, first + 1, r, QuantMath.Sum(a1.GetLower() + a1.GetUpper()), w, b, x1, s1);
            if (T.N > 2) Finish(m, first + 2, r, QuantMath.Sum(a2.GetLower() + a2.GetUpper()), w, b, x2, s2);
            if (T.N > 3) Finish(m, first + 3, r, QuantMath.Sum(a3.GetLower() + a3.GetUpper()), w, b, x3, s3);
        }
    }
}
