// Dot products in the exact arithmetic of ggml-cpu's x86 AVX2 build (gpt-oss-facts.md §3.5), so matrix products agree
// with llama.cpp to the last bit: the next product rounds its input to Q8_0, and last-bit differences compound over
// layers into logit differences of several percent. Q8_0: ggml_vec_dot_q8_0_q8_0 and tinyBLAS_Q0_AVX (8 lanes, lane j
// gets each block's sum of elements 4j..4j+3 times the scale product by FMA, then hsum_float_8); F32: tinyBLAS<8, __m256>;
// MXFP4: the repacked mxfp4_8x8 kernels. Rows come decoded (QuantRow), so a weight row is unpacked once per batch.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>Scalar references of ggml-cpu's dot-product kernels, bit for bit.</summary>
internal static class GgmlDot
{
    /// <summary>A row of 32-value blocks: int8 quants (MXFP4: the doubled E2M1 values) and one scale per block.</summary>
    public readonly ref struct QuantRow(ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        public ReadOnlySpan<sbyte> Quants { get; } = quants;
        public ReadOnlySpan<float> Scales { get; } = scales;
    }

    /// <summary>Σ w·x for Q8_0 weights and Q8_0 activations (ggml_vec_dot_q8_0_q8_0, tinyBLAS_Q0_AVX): one 8-lane
    /// accumulator, lane j += d_w·d_x · (sum of elements 4j..4j+3) with FMA.</summary>
    public static float Q8_0Q8_0(QuantRow w, QuantRow x)
    {
        if (w.Quants.Length != x.Quants.Length || w.Scales.Length * 32 != w.Quants.Length || x.Scales.Length != w.Scales.Length)
            throw new ArgumentException("the rows differ in length");
        ref sbyte qw = ref MemoryMarshal.GetReference(w.Quants);
        ref sbyte qx = ref MemoryMarshal.GetReference(x.Quants);
        float l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
        for (int b = 0; b < w.Scales.Length; b++)
        {
            float d = w.Scales[b] * x.Scales[b];
            int at = b * 32;
            l0 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at), l0);
            l1 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 4), l1);
            l2 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 8), l2);
            l3 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 12), l3);
            l4 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 16), l4);
            l5 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 20), l5);
            l6 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 24), l6);
            l7 = MathF.FusedMultiplyAdd(d, Quad(ref qw, ref qx, at + 28), l7);
        }
        // hsum_float_8: the upper four lanes onto the lower four, then the upper two onto the lower two, then lane 1 onto 0.
        return ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7));
    }

    /// <summary>Σ w·x for MXFP4 weights and Q8_0 activations. llama.cpp repacks MXFP4 weights on x86 (CPU_REPACK,
    /// mxfp4_8x8) and its AVX2 gemv/gemm keep one float per output: acc = fma(Σ block, d_w·d_x, acc), block by block.</summary>
    public static float Mxfp4Q8_0(QuantRow w, QuantRow x)
    {
        if (w.Quants.Length != x.Quants.Length || w.Scales.Length * 32 != w.Quants.Length || x.Scales.Length != w.Scales.Length)
            throw new ArgumentException("the rows differ in length");
        ref sbyte qw = ref MemoryMarshal.GetReference(w.Quants);
        ref sbyte qx = ref MemoryMarshal.GetReference(x.Quants);
        float acc = 0;
        for (int b = 0; b < w.Scales.Length; b++)
        {
            int at = b * 32, sum = 0;
            for (int i = 0; i < 32; i += 4) sum += Quad(ref qw, ref qx, at + i);
            acc = MathF.FusedMultiplyAdd(sum, w.Scales[b] * x.Scales[b], acc);
        }
        return acc;
    }

    /// <summary>Σ w·x for F32 rows whose length is a multiple of 8 (tinyBLAS&lt;8, __m256&gt;): lane j takes elements
    /// j, j + 8, ... with FMA, reduced as hsum_float_8.</summary>
    public static float F32F32(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var acc = Vector256<float>.Zero;
        for (int i = 0; i + 8 <= w.Length; i += 8)
            acc = Vector256.FusedMultiplyAdd(Vector256.Create(w.Slice(i, 8)), Vector256.Create(x.Slice(i, 8)), acc);
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }

    // Σ of four consecutive products from index i; exact in int32, so the order of adding does not matter.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quad(ref sbyte w, ref sbyte x, int i) =>
        Unsafe.Add(ref w, i) * Unsafe.Add(ref x, i) + Unsafe.Add(ref w, i + 1) * Unsafe.Add(ref x, i + 1)
        + Unsafe.Add(ref w, i + 2) * Unsafe.Add(ref x, i + 2) + Unsafe.Add(ref w, i + 3) * Unsafe.Add(ref x, i + 3);
}
