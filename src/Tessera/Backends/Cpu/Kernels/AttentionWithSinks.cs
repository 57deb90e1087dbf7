// One query head of gpt-oss attention (gpt-oss-facts.md §4.2e-f): 1/√d·q·k over the visible slots, a softmax whose
// denominator also holds e^sink (unscaled, no value vector), the weighted sum of values. The arithmetic is ggml-cpu's
// one-chunk flash attention (ops.cpp), which llama.cpp runs for micro-batches under 64 rows and for decoding: an online
// softmax over the slots in order, an F16 value accumulator when the cache is F16, FMA exactly where ggml's build has one.
// Bit-exactness matters here: the next product quantises to Q8_0, and a last-bit difference moves values across rounding
// boundaries, which compounds into logit differences of several percent. (The tiled path for 64+ rows is not reproduced.)

namespace Tessera.Backends.Cpu;

/// <summary>Scalar attention-with-sinks kernel for one query head.</summary>
internal static class AttentionWithSinks
{
    /// <summary>Attends query <paramref name="q"/> (d values) at <paramref name="queryPosition"/> to the cache slots
    /// <paramref name="slots"/>, taken in that order, of a cache widened to floats whose rows are <paramref name="rowWidth"/>
    /// wide, reading d values at <paramref name="headOffset"/> of each row; writes the head's d outputs to
    /// <paramref name="output"/>. <paramref name="halfAccumulator"/> rounds the running value sum to F16 as ggml does for an
    /// F16 cache.</summary>
    public static void F32(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int rowWidth, int headOffset,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> keyPositions, int queryPosition, int window, float sink, float scale,
        bool halfAccumulator, Span<float> output)
    {
        int d = q.Length;
        float max = float.NegativeInfinity, sum = 0;
        output.Clear();
        foreach (int s in slots)
        {
            if (!AttentionMask.IsVisible(queryPosition, keyPositions[s], window)) continue;
            var k = keys.Slice(s * rowWidth + headOffset, d);
            float score = HalfDot(q, k) * scale;

            float previousMax = max, rescale = 1, weight = 1;
            if (score > max)
            {
                max = score;
                rescale = MathF.Exp(previousMax - max);
                for (int i = 0; i < d; i++) output[i] = Round(output[i] * rescale, halfAccumulator);
            }
            else
                weight = MathF.Exp(score - max);

            var v = values.Slice(s * rowWidth + headOffset, d);
            for (int i = 0; i < d; i++) output[i] = Round(MathF.FusedMultiplyAdd(v[i], weight, output[i]), halfAccumulator);
            sum = sum * rescale + weight;
        }

        // The sink joins the denominator only; ggml does not move the running max to it.
        float sinkRescale = 1, sinkWeight = 1;
        if (sink > max)
        {
            sinkRescale = MathF.Exp(max - sink);
            for (int i = 0; i < d; i++) output[i] *= sinkRescale;
        }
        else
            sinkWeight = MathF.Exp(sink - max);
        sum = sum * sinkRescale + sinkWeight;

        float inverse = sum == 0 ? 0 : 1 / sum;
        for (int i = 0; i < d; i++) output[i] *= inverse;
    }

    private static float Round(float x, bool toHalf) => toHalf ? (float)(Half)x : x;

    // ggml_vec_dot_f16 as ggml's x86 AVX2 build computes it (vec.cpp with F16C and FMA): blocks of 32 go through four
    // 8-lane FMA accumulators, reduced as ((s0 + s2) + (s1 + s3)) lane-wise, then ((l0 + l4) + (l1 + l5)) +
    // ((l2 + l6) + (l3 + l7)); the remaining values are added one by one in double.
    internal static float HalfDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        const int Lanes = 8, Accumulators = 4, Step = Lanes * Accumulators;
        int full = x.Length & ~(Step - 1);
        double sum = 0;
        if (full > 0)
        {
            Span<float> acc = stackalloc float[Step];
            acc.Clear();
            for (int i = 0; i < full; i += Step)
                for (int j = 0; j < Step; j++) acc[j] = MathF.FusedMultiplyAdd(x[i + j], y[i + j], acc[j]);
            Span<float> lane = stackalloc float[Lanes];
            for (int l = 0; l < Lanes; l++) lane[l] = (acc[l] + acc[2 * Lanes + l]) + (acc[Lanes + l] + acc[3 * Lanes + l]);
            sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
        }
        for (int i = full; i < x.Length; i++) sum += x[i] * y[i];
        return (float)sum;
    }
}
