// F32Q8_0Quantize with 512-bit vectors (AVX-512): two vectors per block.

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class F32Q8_0Quantize
{
    private static void Avx512Path(float* x, int n, sbyte* quants, float* scales, int* startMxfp4, int* startQ8_0)
    {
        for (int b = 0; b < n / 32; b++, x += 32)
        {
            var v0 = Vector512.Load(x); var v1 = Vector512.Load(x + 16);
            var m512 = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1));
            var m256 = Vector256.Max(m512.GetLower(), m512.GetUpper());
            var m = Vector128.Max(m256.GetLower(), m256.GetUpper());
            float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
            scales[b] = Scale(amax, out float inverse);
            var id = Vector512.Create(inverse);
            var q = Vector512.Narrow(Vector512.Narrow(Q(v0, id), Q(v1, id)), Vector512<short>.Zero).GetLower();
            q.Store(quants + b * 32);
            StoreStarts(q, startMxfp4 + b, startQ8_0 + b * 8);
        }

        static Vector512<int> Q(Vector512<float> v, Vector512<float> id) => Vector512.ConvertToInt32(Vector512.Round(v * id));
    }
}
