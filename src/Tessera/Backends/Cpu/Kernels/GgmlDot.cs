// Dot products of a weight row with an activation row, in the exact arithmetic of ggml-cpu's x86 AVX2 build, so that
// matrix products agree with llama.cpp to the last bit rather than to float rounding (gpt-oss-facts.md §3.5). That
// matters more than it seems: the next product rounds its input to Q8_0, and differences of one part in 10^7 move a few
// values across rounding boundaries, which compounds over layers into logit differences of several percent.
// The kernels reproduced are arch/x86/quants.c ggml_vec_dot_q8_0_q8_0 and ggml_vec_dot_mxfp4_q8_0, and llamafile's
// tinyBLAS (sgemm.cpp) for Q8_0 and F32, which llama.cpp uses for batches. All keep 8 float lanes: for a block of 32
// quants, lane j gets the integer sum of elements 4j..4j+3 times the block's scale product, added with FMA (F32: lane j
// takes elements j, j + 8, ...); the lanes are reduced as hsum_float_8: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
// Rows come decoded (QuantRow): int8 quants and one float scale per block, so a weight row is unpacked once per batch.

using System.Runtime.CompilerServices;

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

    /// <summary>Σ w·x for Q8_0 weights and Q8_0 activations (ggml_vec_dot_q8_0_q8_0, tinyBLAS_Q0_AVX): one accumulator.</summary>
    public static float Q8_0Q8_0(QuantRow w, QuantRow x)
    {
        var acc = new Lanes();
        for (int b = 0; b < w.Scales.Length; b++) acc.Add(w.Scales[b] * x.Scales[b], w.Quants, x.Quants, b * 32);
        return acc.Sum();
    }

    /// <summary>Σ w·x for MXFP4 weights and Q8_0 activations (ggml_vec_dot_mxfp4_q8_0): even and odd blocks in two
    /// accumulators, added lane by lane before the reduction; a last odd block is added afterwards in scalar code.</summary>
    public static float Mxfp4Q8_0(QuantRow w, QuantRow x)
    {
        int blocks = w.Scales.Length, b = 0;
        Lanes even = new(), odd = new();
        for (; b + 1 < blocks; b += 2)
        {
            even.Add(x.Scales[b] * w.Scales[b], w.Quants, x.Quants, b * 32);
            odd.Add(x.Scales[b + 1] * w.Scales[b + 1], w.Quants, x.Quants, (b + 1) * 32);
        }
        even.Add(odd);
        float sum = even.Sum();
        if (b < blocks)
        {
            int total = 0;
            for (int i = b * 32; i < b * 32 + 32; i++) total += w.Quants[i] * x.Quants[i];
            sum += x.Scales[b] * w.Scales[b] * total;
        }
        return sum;
    }

    /// <summary>Σ w·x for F32 rows whose length is a multiple of 8 (tinyBLAS&lt;8, __m256&gt;).</summary>
    public static float F32F32(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var acc = new Lanes();
        for (int i = 0; i < w.Length; i += 8) acc.Add(w.Slice(i, 8), x.Slice(i, 8));
        return acc.Sum();
    }

    // Eight float lanes, as one __m256 accumulator.
    private struct Lanes
    {
        private float _0, _1, _2, _3, _4, _5, _6, _7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(float d, ReadOnlySpan<sbyte> w, ReadOnlySpan<sbyte> x, int at)
        {
            var qw = w.Slice(at, 32);
            var qx = x.Slice(at, 32);
            _0 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 0), _0);
            _1 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 4), _1);
            _2 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 8), _2);
            _3 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 12), _3);
            _4 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 16), _4);
            _5 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 20), _5);
            _6 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 24), _6);
            _7 = MathF.FusedMultiplyAdd(d, Group(qw, qx, 28), _7);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
        {
            _0 = MathF.FusedMultiplyAdd(w[0], x[0], _0);
            _1 = MathF.FusedMultiplyAdd(w[1], x[1], _1);
            _2 = MathF.FusedMultiplyAdd(w[2], x[2], _2);
            _3 = MathF.FusedMultiplyAdd(w[3], x[3], _3);
            _4 = MathF.FusedMultiplyAdd(w[4], x[4], _4);
            _5 = MathF.FusedMultiplyAdd(w[5], x[5], _5);
            _6 = MathF.FusedMultiplyAdd(w[6], x[6], _6);
            _7 = MathF.FusedMultiplyAdd(w[7], x[7], _7);
        }

        public void Add(Lanes o)
        {
            _0 += o._0; _1 += o._1; _2 += o._2; _3 += o._3;
            _4 += o._4; _5 += o._5; _6 += o._6; _7 += o._7;
        }

        public readonly float Sum() => ((_0 + _4) + (_2 + _6)) + ((_1 + _5) + (_3 + _7));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Group(ReadOnlySpan<sbyte> w, ReadOnlySpan<sbyte> x, int i) =>
            w[i] * x[i] + w[i + 1] * x[i + 1] + w[i + 2] * x[i + 2] + w[i + 3] * x[i + 3];
    }
}
