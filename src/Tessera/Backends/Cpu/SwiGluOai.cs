// gpt-oss's gated activation, as ggml-cpu's swiglu_oai (ops.cpp; gpt-oss-facts.md §4.2k): the gate gets a one-sided clamp
// and the sigmoid, the linear ("up") half a two-sided clamp and +1.

namespace Tessera.Backends.Cpu;

/// <summary>Scalar SwiGLU-OAI kernel.</summary>
internal static class SwiGluOai
{
    /// <summary>y = g·σ(α·g)·(u + 1), g = min(gate, limit), u = clamp(up, −limit, limit).</summary>
    public static void F32(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, float alpha, float limit, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            float g = MathF.Min(gate[i], limit);
            float u = Math.Clamp(up[i], -limit, limit);
            y[i] = g / (1f + MathF.Exp(alpha * -g)) * (u + 1f);
        }
    }
}
