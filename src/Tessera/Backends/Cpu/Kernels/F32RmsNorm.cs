// RMSNorm as ggml-cpu computes it (ops.cpp ggml_compute_forward_rms_norm_f32, then ggml_mul by the weight; gpt-oss-facts.md
// §4.2a): squares summed in double, in order; mean and scale in float; y = x·scale·w. The vector paths keep the ordered
// double sum (a vector sum would change its last bits) and vectorise the scaling, which is exact element by element.

namespace Tessera.Backends.Cpu;

/// <summary>RMSNorm with a weight, per instruction-set strategy.</summary>
internal static unsafe class F32RmsNorm
{
    /// <summary>The scalar reference: y = x / sqrt(mean(x²) + ε) · w.</summary>
    public static void F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        float scale = Scale(x, epsilon);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * scale * weight[i];
    }

    public static void Row(CpuIsa isa, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        switch (isa)
        {
            case CpuIsa.Scalar: F32(x, weight, epsilon, y); break;
            case CpuIsa.Vector128: Simd<V128>(x, weight, epsilon, y); break;
            case CpuIsa.Avx512: Simd<V512>(x, weight, epsilon, y); break;
            default: Simd<V256>(x, weight, epsilon, y); break;
        }
    }

    private static float Scale(ReadOnlySpan<float> x, float epsilon)
    {
        double sum = 0;
        foreach (var v in x) sum += v * v;
        float mean = (float)(sum / x.Length);
        return 1f / MathF.Sqrt(mean + epsilon);
    }

    private static void Simd<V>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y) where V : struct, ISimdFloat<V>
    {
        float scale = Scale(x, epsilon);
        int n = x.Length, i = 0;
        fixed (float* px = x, pw = weight, py = y)
        {
            var s = V.Splat(scale);
            for (; i <= n - V.Count; i += V.Count) V.Store(V.Multiply(V.Multiply(V.Load(px + i), s), V.Load(pw + i)), py + i);
            for (; i < n; i++) py[i] = px[i] * scale * pw[i];
        }
    }
}
