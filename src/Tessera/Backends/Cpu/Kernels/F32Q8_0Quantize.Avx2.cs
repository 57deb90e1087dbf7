// F32Q8_0Quantize with 256-bit vectors (AVX2): four vectors per block.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class F32Q8_0Quantize
{
    private static void Avx2Path(float* x, int n, sbyte* quants, float* scales, int* startMxfp4, int* startQ8_0)
    {
        for (int b = 0; b < n / 32; b++, x += 32)
        {
            var v0 = Vector256.Load(x); var v1 = Vector256.Load(x + 8); var v2 = Vector256.Load(x + 16); var v3 = Vector256.Load(x + 24);
            var m256 = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var m = Vector128.Max(m256.GetLower(), m256.GetUpper());
            float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
            scales[b] = Scale(amax, out float inverse);
            var id = Vector256.Create(inverse);
            var q = Vector256.Narrow(Vector256.Narrow(Q(v0, id), Q(v1, id)), Vector256.Narrow(Q(v2, id), Q(v3, id)));
            q.Store(quants + b * 32);
            StoreStarts(q, startMxfp4 + b, startQ8_0 + b * 8);
        }

        static Vector256<int> Q(Vector256<float> v, Vector256<float> id) => Vector256.ConvertToInt32(Vector256.Round(v * id));
    }

    // The 4-quant group sums of one block (vpmaddubsw with ones, vpmaddwd with ones) times −128, and their total times −12.
    private static void StoreStarts(Vector256<sbyte> q, int* startMxfp4, int* startQ8_0)
    {
        var sums = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.Create((byte)1), q), Vector256.Create((short)1));
        *startMxfp4 = -12 * Vector256.Sum(sums);
        (sums * -128).Store(startQ8_0);
    }
}
