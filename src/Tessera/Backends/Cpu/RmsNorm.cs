// RMSNorm as ggml-cpu computes it (ops.cpp ggml_compute_forward_rms_norm_f32, then ggml_mul by the weight; gpt-oss-facts.md
// §4.2a): squares summed in double, mean and scale in float, y = x·scale·w.

namespace Tessera.Backends.Cpu;

/// <summary>Scalar RMSNorm kernel.</summary>
internal static class RmsNorm
{
    /// <summary>y = x / sqrt(mean(x²) + ε) · w.</summary>
    public static void F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        double sum = 0;
        foreach (var v in x) sum += v * v;
        float mean = (float)(sum / x.Length);
        float scale = 1f / MathF.Sqrt(mean + epsilon);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * scale * weight[i];
    }
}
