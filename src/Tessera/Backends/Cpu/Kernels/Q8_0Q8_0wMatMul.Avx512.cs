// Q8_0Q8_0wMatMul with AVX-512 (BW): two activation rows per 512-bit register, each in its own half, against one weight
// block broadcast to both halves; each half is its row's own accumulator, so the per-row order of ggml's single
// accumulator is kept. AVX-512 has no vpsignb: the activations are negated where the weight is negative by a masked
// blend. A single activation row left over goes through the AVX2 path.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private static void Avx512Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            case 1: Rows<Tile1, Avx2Dot>(m, rowStart, rowEnd, first); break;
            case 2: Avx512Rows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3:
                Avx512Rows<Tile2>(m, rowStart, rowEnd, first);
                Rows<Tile1, Avx2Dot>(m, rowStart, rowEnd, first + 2);
                break;
            default: Avx512Rows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Avx512Pair(Vector512<float> acc, Vector512<byte> absW, Vector512<sbyte> negative, sbyte* xa, sbyte* xb, float da, float db)
    {
        var x = Vector512.Create(Vector256.Load(xa), Vector256.Load(xb));
        var signed = Vector512.ConditionalSelect(negative, -x, x);
        var sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(absW, signed), Vector512.Create((short)1));
        var d = Vector512.Create(Vector256.Create(da), Vector256.Create(db));
        return Avx512F.FusedMultiplyAdd(d, Avx512F.ConvertToVector512Single(sums), acc);
    }

    private static void Avx512Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        sbyte* x0 = m.Quants(first), x1 = m.Quants(first + 1), x2 = T.N > 2 ? m.Quants(first + 2) : null, x3 = T.N > 3 ? m.Quants(first + 3) : null;
        float* s0 = m.Scales(first), s1 = m.Scales(first + 1), s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector512<float> a01 = default, a23 = default;
            byte* block = w;
            // The next row, one block ahead per block, so it is on its way when this one is done.
            byte* ahead = block + m.RowBytes;
            for (nint at = 0, end = (nint)blocks * 32; at < end; at += 32, block += BlockBytes, ahead += BlockBytes)
            {
                Sse.Prefetch0(ahead);
                var w256 = Vector256.Load((sbyte*)(block + 2));
                var wv = Vector512.Create(w256, w256);
                var aw = Vector512.Abs(wv).AsByte();
                var negative = Vector512.LessThan(wv, Vector512<sbyte>.Zero);
                float d = QuantMath.Q8_0Scale(block);
                nint sc = at >> 3;
                a01 = Avx512Pair(a01, aw, negative, x0 + at, x1 + at, d * *(float*)((byte*)s0 + sc), d * *(float*)((byte*)s1 + sc));
                if (T.N > 3) a23 = Avx512Pair(a23, aw, negative, x2 + at, x3 + at, d * *(float*)((byte*)s2 + sc), d * *(float*)((byte*)s3 + sc));
            }
            m.Output(first)[r] = QuantMath.Sum(a01.GetLower());
            m.Output(first + 1)[r] = QuantMath.Sum(a01.GetUpper());
            if (T.N > 3)
            {
                m.Output(first + 2)[r] = QuantMath.Sum(a23.GetLower());
                m.Output(first + 3)[r] = QuantMath.Sum(a23.GetUpper());
            }
        }
    }
}
