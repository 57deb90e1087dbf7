// F16KvAttention with vectors of any width (V128 for the portable path, V256 for AVX2, V512 for AVX-512): one body,
// instantiated per width. Only the F16 dot differs by width, to keep ggml's four 8-lane accumulators: two 4-lane vectors
// per accumulator at 128 bits, one at 256, two accumulators per 512-bit register.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class F16KvAttention
{
    private static void Simd<V>(in AttentionGroup a) where V : struct, ISimdFloat<V>
    {
        int d = a.HeadSize, heads = a.Heads, width = V.Count;
        int vectorEnd = d - d % width;
        float* q = a.Scratch, k = q + heads * d, v = k + d;
        for (int h = 0; h < heads; h++)
        {
            float* src = a.Queries + h * d, dst = q + h * d;
            int i = 0;
            for (; i < vectorEnd; i += width) V.Store(V.RoundToHalf(V.Load(src + i)), dst + i);
            for (; i < d; i++) dst[i] = (float)(Half)src[i];
        }
        new Span<float>(a.Output, heads * d).Clear();
        Span<float> max = stackalloc float[heads];
        Span<float> sum = stackalloc float[heads];
        max.Fill(float.NegativeInfinity);
        sum.Clear();

        for (int n = 0; n < a.OrderLength; n++)
        {
            int s = a.Order[n];
            int position = a.KeyPositions[s];
            if (!AttentionMask.IsVisible(a.QueryPosition, position, a.Window)) continue;
            Widen<V>(a.Keys + (long)s * a.RowWidth + a.HeadOffset, k, d, vectorEnd);
            Widen<V>(a.Values + (long)s * a.RowWidth + a.HeadOffset, v, d, vectorEnd);
            for (int h = 0; h < heads; h++)
            {
                float score = Dot<V>(q + h * d, k, d) * a.Scale;
                float* o = a.Output + h * d;
                float previous = max[h];
                if (score > previous)
                {
                    max[h] = score;
                    float rescale = MathF.Exp(previous - score);
                    var r = V.Splat(rescale);
                    var one = V.Splat(1);
                    int i = 0;
                    for (; i < vectorEnd; i += width)
                        V.Store(V.RoundToHalf(V.FusedMultiplyAdd(V.Load(v + i), one, V.RoundToHalf(V.Multiply(V.Load(o + i), r)))), o + i);
                    for (; i < d; i++)
                        o[i] = (float)(Half)MathF.FusedMultiplyAdd(v[i], 1, (float)(Half)(o[i] * rescale));
                    sum[h] = sum[h] * rescale + 1;
                }
                else
                {
                    float weight = MathF.Exp(score - previous);
                    var w = V.Splat(weight);
                    int i = 0;
                    for (; i < vectorEnd; i += width) V.Store(V.RoundToHalf(V.FusedMultiplyAdd(V.Load(v + i), w, V.Load(o + i))), o + i);
                    for (; i < d; i++) o[i] = (float)(Half)MathF.FusedMultiplyAdd(v[i], weight, o[i]);
                    sum[h] = sum[h] * 1 + weight;
                }
            }
        }

        for (int h = 0; h < heads; h++)
        {
            float sink = a.Sinks[h], sinkRescale = 1, sinkWeight = 1;
            float* o = a.Output + h * d;
            if (sink > max[h])
            {
                sinkRescale = MathF.Exp(max[h] - sink);
                Scale<V>(o, sinkRescale, d, vectorEnd);
            }
            else
                sinkWeight = MathF.Exp(sink - max[h]);
            float total = sum[h] * sinkRescale + sinkWeight;
            Scale<V>(o, total == 0 ? 0 : 1 / total, d, vectorEnd);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen<V>(ushort* src, float* dst, int d, int vectorEnd) where V : struct, ISimdFloat<V>
    {
        int i = 0;
        for (; i < vectorEnd; i += V.Count) V.Store(V.LoadHalf(src + i), dst + i);
        for (; i < d; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale<V>(float* o, float factor, int d, int vectorEnd) where V : struct, ISimdFloat<V>
    {
        var f = V.Splat(factor);
        int i = 0;
        for (; i < vectorEnd; i += V.Count) V.Store(V.Multiply(V.Load(o + i), f), o + i);
        for (; i < d; i++) o[i] *= factor;
    }

    // ggml_vec_dot_f16 (AttentionWithSinks.HalfDot): blocks of 32 in four 8-lane FMA accumulators, reduced as
    // ((s0 + s2) + (s1 + s3)) lane-wise then ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)); the rest added in double.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<V>(float* x, float* y, int n) where V : struct, ISimdFloat<V>
    {
        int full = n & ~31;
        double sum = 0;
        if (full > 0)
        {
            Vector128<float> h;
            if (typeof(V) == typeof(V512))
            {
                Vector512<float> a01 = default, a23 = default;
                for (int i = 0; i < full; i += 32)
                {
                    a01 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), a01);
                    a23 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16), a23);
                }
                var pair = a01 + a23;
                var lane = pair.GetLower() + pair.GetUpper();
                h = lane.GetLower() + lane.GetUpper();
            }
            else if (typeof(V) == typeof(V256))
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < full; i += 32)
                {
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 24), Vector256.Load(y + i + 24), a3);
                }
                var lane = (a0 + a2) + (a1 + a3);
                h = lane.GetLower() + lane.GetUpper();
            }
            else
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int i = 0; i < full; i += 32)
                {
                    a0 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i), Vector128.Load(y + i), a0);
                    a1 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 4), Vector128.Load(y + i + 4), a1);
                    a2 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 8), Vector128.Load(y + i + 8), a2);
                    a3 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 12), Vector128.Load(y + i + 12), a3);
                    a4 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 16), Vector128.Load(y + i + 16), a4);
                    a5 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 20), Vector128.Load(y + i + 20), a5);
                    a6 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 24), Vector128.Load(y + i + 24), a6);
                    a7 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i + 28), Vector128.Load(y + i + 28), a7);
                }
                // Lanes 0..3 are accumulator quarters 0, 2, 4, 6 (j = 0..3 of s0..s3); lanes 4..7 quarters 1, 3, 5, 7.
                h = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
            }
            sum = (h.GetElement(0) + h.GetElement(1)) + (h.GetElement(2) + h.GetElement(3));
        }
        for (int i = full; i < n; i++) sum += x[i] * y[i];
        return (float)sum;
    }
}
