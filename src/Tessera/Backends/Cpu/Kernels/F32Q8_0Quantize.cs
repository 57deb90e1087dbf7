// F32 activations to Q8_0 as ggml-cpu's x86 build quantises them before a dot product with Q8_0 or MXFP4 weights
// (quantize_row_q8_0, AVX path; gpt-oss-facts.md §3.5): per 32 values d = amax/127 stored as F16, q = round-half-even
// (x·127/amax). The scalar reference is Q8_0Activations.Quantize; the vector paths find amax with a max over lanes and
// round with vroundps, so every path gives the same quants and scales. Each block also gets the sum of its quants times
// −12 and the sums of its 4-quant groups times −128 (Q8_0Rows explains why).

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>F32 → Q8_0 activation quantisation, per instruction-set strategy.</summary>
internal static unsafe partial class F32Q8_0Quantize
{
    /// <summary>Quantises <paramref name="n"/> values (a multiple of 32) at <paramref name="x"/>.</summary>
    public static void Row(CpuIsa isa, float* x, int n, sbyte* quants, float* scales, int* startMxfp4, int* startQ8_0)
    {
        switch (isa)
        {
            case CpuIsa.Scalar: Scalar(x, n, quants, scales, startMxfp4, startQ8_0); break;
            case CpuIsa.Vector128: Vector128Path(x, n, quants, scales, startMxfp4, startQ8_0); break;
            case CpuIsa.Avx512: Avx512Path(x, n, quants, scales, startMxfp4, startQ8_0); break;
            default: Avx2Path(x, n, quants, scales, startMxfp4, startQ8_0); break;
        }
    }

    private static void Scalar(float* x, int n, sbyte* quants, float* scales, int* startMxfp4, int* startQ8_0)
    {
        var q = new Span<sbyte>(quants, n);
        Q8_0Activations.Quantize(new ReadOnlySpan<float>(x, n), q, new Span<float>(scales, n / 32));
        for (int g = 0; g < n / 4; g++)
            startQ8_0[g] = -128 * (quants[4 * g] + quants[4 * g + 1] + quants[4 * g + 2] + quants[4 * g + 3]);
        for (int b = 0; b < n / 32; b++)
        {
            int sum = 0;
            for (int i = 0; i < 32; i++) sum += quants[b * 32 + i];
            startMxfp4[b] = -12 * sum;
        }
    }

    // The scale and its inverse from a block's amax, exactly as the scalar reference computes them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(float amax, out float inverse)
    {
        inverse = amax != 0 ? 127f / amax : 0f;
        return (float)(Half)(amax / 127f);
    }
}
