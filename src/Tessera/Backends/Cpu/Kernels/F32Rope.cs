// YaRN RoPE, NEOX style (gpt-oss-facts.md §4.2c; ggml rope_f32 with mode NEOX): pair i of a head is (x_i, x_{i+d/2}),
// rotated by the angle of pair i at the token's position, scaled by the YaRN magnitude. The table holds cos·m for every
// pair, then sin·m (YarnRope.CosSin, de-interleaved so vectors load it directly). Vector paths compute the same FMAs.

namespace Tessera.Backends.Cpu;

/// <summary>In-place NEOX rotation of heads, per instruction-set strategy.</summary>
internal static unsafe class F32Rope
{
    /// <summary>Rotates every head (of <paramref name="d"/> values) of <paramref name="row"/> with <paramref name="cos"/>
    /// and <paramref name="sin"/> (d/2 values each).</summary>
    public static void Row(CpuIsa isa, Span<float> row, int d, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        fixed (float* p = row, c = cos, s = sin)
        {
            for (int h = 0; h < row.Length; h += d)
            {
                switch (isa)
                {
                    case CpuIsa.Scalar: Scalar(p + h, d / 2, c, s); break;
                    case CpuIsa.Vector128: Simd<V128>(p + h, d / 2, c, s); break;
                    case CpuIsa.Avx512: Simd<V512>(p + h, d / 2, c, s); break;
                    default: Simd<V256>(p + h, d / 2, c, s); break;
                }
            }
        }
    }

    // As YarnRope.RotateNeox.
    private static void Scalar(float* head, int half, float* cos, float* sin, int from = 0)
    {
        for (int i = from; i < half; i++)
        {
            float x0 = head[i], x1 = head[i + half];
            head[i] = MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i]));
            head[i + half] = MathF.FusedMultiplyAdd(x0, sin[i], x1 * cos[i]);
        }
    }

    private static void Simd<V>(float* head, int half, float* cos, float* sin) where V : struct, ISimdFloat<V>
    {
        int i = 0;
        for (; i <= half - V.Count; i += V.Count)
        {
            var x0 = V.Load(head + i);
            var x1 = V.Load(head + half + i);
            var c = V.Load(cos + i);
            var s = V.Load(sin + i);
            V.Store(V.FusedMultiplyAdd(x0, c, V.Negate(V.Multiply(x1, s))), head + i);
            V.Store(V.FusedMultiplyAdd(x0, s, V.Multiply(x1, c)), head + half + i);
        }
        Scalar(head, half, cos, sin, i);
    }
}
