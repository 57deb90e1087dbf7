// F32Q8_0Quantize with portable 128-bit vectors: eight vectors per block, amax by lane-wise max.

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class F32Q8_0Quantize
{
    private static void Vector128Path(float* x, int n, sbyte* quants, float* scales, int* startMxfp4, int* startQ8_0)
    {
        for (int b = 0; b < n / 32; b++, x += 32)
        {
            var v0 = Vector128.Load(x); var v1 = Vector128.Load(x + 4); var v2 = Vector128.Load(x + 8); var v3 = Vector128.Load(x + 12);
            var v4 = Vector128.Load(x + 16); var v5 = Vector128.Load(x + 20); var v6 = Vector128.Load(x + 24); var v7 = Vector128.Load(x + 28);
            var m = Vector128.Max(Vector128.Max(Vector128.Max(Vector128.Abs(v0), Vector128.Abs(v1)), Vector128.Max(Vector128.Abs(v2), Vector128.Abs(v3))),
                Vector128.Max(Vector128.Max(Vector128.Abs(v4), Vector128.Abs(v5)), Vector128.Max(Vector128.Abs(v6), Vector128.Abs(v7))));
            float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
            scales[b] = Scale(amax, out float inverse);
            var id = Vector128.Create(inverse);
            var lo = Vector128.Narrow(Vector128.Narrow(Q(v0, id), Q(v1, id)), Vector128.Narrow(Q(v2, id), Q(v3, id)));
            var hi = Vector128.Narrow(Vector128.Narrow(Q(v4, id), Q(v5, id)), Vector128.Narrow(Q(v6, id), Q(v7, id)));
            lo.Store(quants + b * 32);
            hi.Store(quants + b * 32 + 16);
            var ones = Vector128.Create((sbyte)1);
            var sumLo = QuantMath128.GroupSums(ones, lo);
            var sumHi = QuantMath128.GroupSums(ones, hi);
            startMxfp4[b] = -12 * Vector128.Sum(sumLo + sumHi);
            (sumLo * -128).Store(startQ8_0 + b * 8);
            (sumHi * -128).Store(startQ8_0 + b * 8 + 4);
        }

        static Vector128<int> Q(Vector128<float> v, Vector128<float> id) => Vector128.ConvertToInt32(Vector128.Round(v * id));
    }
}
