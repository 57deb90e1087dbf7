// Q8_0Mxfp4wMatMul with AVX-512 (BW): two blocks per 512-bit register, the even block in the low half and the odd one in
// the high half, which are exactly ggml's two accumulators. One vpermt2q puts the nibbles of both blocks in element
// order, one vpshufb decodes 64 weights. AVX-512 has no vpsignb, so vpmaddubsw takes the biased activations and the
// bias 128·(w0 + w1) is subtracted in 16 bits (MXFP4 values are at most 12, so nothing saturates).

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
            case 1: Avx512Rows<Tile1>(m, rowStart, rowEnd, first); break;
            case 2: Avx512Rows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3: Avx512Rows<Tile3>(m, rowStart, rowEnd, first); break;
            default: Avx512Rows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Avx512Pair(Vector512<float> acc, Vector512<short> bias, Vector512<sbyte> w, byte* x, float* s,
        Vector128<float> weightScales, Vector512<int> spread)
    {
        var products = Avx512BW.MultiplyAddAdjacent(Vector512.Load(x), w) - bias;
        var sums = Avx512BW.MultiplyAddAdjacent(products, Vector512.Create((short)1));
        var d = Vector128.CreateScalar(*(double*)s).AsSingle() * weightScales;
        return Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d.ToVector256Unsafe().ToVector512Unsafe(), spread), Avx512F.ConvertToVector512Single(sums), acc);
    }

    private static void Avx512Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile
    {
        int blocks = m.Blocks;
        var table128 = QuantMath.Mxfp4Values;
        var table = Vector512.Create(Vector256.Create(table128, table128), Vector256.Create(table128, table128));
        var order = Vector512.Create(0ul, 1, 8, 9, 2, 3, 10, 11);
        var spread = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var mask = Vector256.Create((byte)0x0F);
        var e8m0 = QuantMath.Mxfp4Scales;
        byte* x0 = m.BiasedQuants(first), x1 = T.N > 1 ? m.BiasedQuants(first + 1) : null, x2 = T.N > 2 ? m.BiasedQuants(first + 2) : null, x3 = T.N > 3 ? m.BiasedQuants(first + 3) : null;
        float* s0 = m.Scales(first), s1 = T.N > 1 ? m.Scales(first + 1) : null, s2 = T.N > 2 ? m.Scales(first + 2) : null, s3 = T.N > 3 ? m.Scales(first + 3) : null;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int b = 0;
            for (; b + 1 < blocks; b += 2)
            {
                byte* even = w + b * BlockBytes, odd = even + BlockBytes;
                var bits = Vector256.Create(Vector128.Load(even + 1), Vector128.Load(odd + 1));
                var low = bits & mask;
                var high = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & mask;
                var nibbles = Avx512F.PermuteVar8x64x2(low.AsUInt64().ToVector512Unsafe(), order, high.AsUInt64().ToVector512Unsafe());
                var wv = Avx512BW.Shuffle(table, nibbles.AsSByte());
                var bias = Avx512BW.MultiplyAddAdjacent(Vector512.Create((byte)0x80), wv);
                var ws = Vector128.Create(e8m0[even[0]], e8m0[odd[0]], 0f, 0f);
                int at = b * 32;
                a0 = Avx512Pair(a0, bias, wv, x0 + at, s0 + b, ws, spread);
                if (T.N > 1) a1 = Avx512Pair(a1, bias, wv, x1 + at, s1 + b, ws, spread);
                if (T.N > 2) a2 = Avx512Pair(a2, bias, wv, x2 + at, s2 + b, ws, spread);
                if (T.N > 3) a3 = Avx512Pair(a3, bias, wv, x3 + at, s3 + b, ws, spread);
            }
            Finish(m, first, r, QuantMath.Sum(a0.GetLower() + a0.GetUpper()), w, b, m.Quants(first), s0);
            if (T.N > 1) Finish(m, first + 1, r, QuantMath.Sum(a1.GetLower() + a1.GetUpper()), w, b, m.Quants(first + 1), s1);
            if (T.N > 2) Finish(m, first + 2, r, QuantMath.Sum(a2.GetLower() + a2.GetUpper()), w, b, m.Quants(first + 2), s2);
            if (T.N > 3) Finish(m, first + 3, r, QuantMath.Sum(a3.GetLower() + a3.GetUpper()), w, b, m.Quants(first + 3), s3);
        }
    }
}
