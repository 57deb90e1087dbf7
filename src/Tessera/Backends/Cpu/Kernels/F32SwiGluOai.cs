// gpt-oss's gated activation, as ggml-cpu's swiglu_oai (ops.cpp; gpt-oss-facts.md §4.2k): the gate gets a one-sided clamp
// and the sigmoid, the linear ("up") half a two-sided clamp and +1. The exp stays the C library's expf (MathF.Exp), as in
// ggml, so the vector paths vectorise the clamps and products around a scalar exp and give the reference's bits.

namespace Tessera.Backends.Cpu;

/// <summary>SwiGLU-OAI, per instruction-set strategy.</summary>
internal static unsafe class F32SwiGluOai
{
    /// <summary>The scalar reference: y = g·σ(α·g)·(u + 1), g = min(gate, limit), u = clamp(up, −limit, limit).</summary>
    public static void F32(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, float alpha, float limit, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            float g = MathF.Min(gate[i], limit);
            float u = Math.Clamp(up[i], -limit, limit);
            y[i] = g / (1f + MathF.Exp(alpha * -g)) * (u + 1f);
        }
    }

    public static void Run(CpuIsa isa, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, float alpha, float limit, Span<float> y)
    {
        switch (isa)
        {
            case CpuIsa.Scalar: F32(gate, up, alpha, limit, y); break;
            case CpuIsa.Vector128: Simd<V128>(gate, up, alpha, limit, y); break;
            case CpuIsa.Avx512: Simd<V512>(gate, up, alpha, limit, y); break;
            default: Simd<V256>(gate, up, alpha, limit, y); break;
        }
    }

    private static void Simd<V>(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, float alpha, float limit, Span<float> y) where V : struct, ISimdFloat<V>
    {
        int n = y.Length, end = n - n % V.Count;
        fixed (float* pg = gate, pu = up, py = y)
        {
            var a = V.Splat(alpha);
            var high = V.Splat(limit);
            var low = V.Splat(-limit);
            var one = V.Splat(1);
            // y ← α·(−g), then y ← expf(y) in scalar code, then y ← g / (1 + y) · (u + 1).
            for (int i = 0; i < end; i += V.Count) V.Store(V.Multiply(a, V.Negate(V.Min(V.Load(pg + i), high))), py + i);
            for (int i = 0; i < end; i++) py[i] = MathF.Exp(py[i]);
            for (int i = 0; i < end; i += V.Count)
            {
                var g = V.Min(V.Load(pg + i), high);
                var u = V.Min(V.Max(V.Load(pu + i), low), high);
                V.Store(V.Multiply(V.Divide(g, V.Add(one, V.Load(py + i))), V.Add(u, one)), py + i);
            }
        }
        F32(gate[end..], up[end..], alpha, limit, y[end..]);
    }
}
