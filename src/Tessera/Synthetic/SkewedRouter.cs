// Router biases that make a synthetic gpt-oss route like the real one. In gpt-oss-20b a few experts per layer take most
// picks: over 10.85 M decoded tokens about 8 of 32 experts take 50% of a layer's picks, 16 take 80%, 20 take 90%. The random
// router weights stay; the bias is calibrated so that top-k picks over sampled router inputs (random hidden rows through
// RMSNorm and post_attention_norm, as the forward pass makes them; gpt-oss-facts.md §4 j) follow a target curve, with the
// ranks dealt to the experts in a random order per layer.

using System.Numerics.Tensors;

namespace Tessera.Synthetic;

/// <summary>Calibrates one layer's router bias toward a skewed share of picks per expert.</summary>
internal static class SkewedRouter
{
    // Enough inputs that the coldest expert of 32 (0.4% of picks) is still picked some sixty times, few enough to take
    // well under a second for the 20b's width.
    private const int Samples = 4096;

    // Each step multiplies an expert's share by about (target/observed)^½; a handful of steps reaches the target to within
    // the samples' counting noise, the rest cost little (the logits are computed once).
    private const int Steps = 16;

    /// <summary>How many of the hottest experts coverage is reported for: a quarter, a half and five eighths of them.</summary>
    public static int[] CoverageExperts(int experts) =>
        [.. new[] { 0.25, 0.5, 0.625 }.Select(f => Math.Max(1, (int)Math.Round(f * experts, MidpointRounding.AwayFromZero)))];

    /// <summary>The wanted share of all picks for each rank, hottest first: ∝ exp(−3·u^1.6) at the rank's fraction u of the
    /// experts. This stretched exponential gives 50/81/89% for the hottest 8/16/20 of 32 (gpt-oss-20b: about 50/80/90%), and
    /// the same fractions for any expert count. A token picks k distinct experts, so no share may exceed 1/k: the excess of
    /// capped ranks goes to the others in proportion.</summary>
    public static double[] TargetShares(int experts, int used)
    {
        var weight = Enumerable.Range(0, experts).Select(i => Math.Exp(-3 * Math.Pow((i + 0.5) / experts, 1.6))).ToArray();
        var share = new double[experts];
        var capped = new bool[experts];
        double cap = 1.0 / used;
        while (true)
        {
            double free = 0, room = 1;
            for (int i = 0; i < experts; i++)
                if (capped[i]) room -= cap; else free += weight[i];
            bool changed = false;
            for (int i = 0; i < experts; i++)
            {
                share[i] = capped[i] ? cap : weight[i] / free * room;
                if (share[i] > cap) changed = capped[i] = true;
            }
            if (!changed) return share;
        }
    }

    /// <summary>A bias for a router with weights <paramref name="weight"/> ([experts × n_embd]) behind the RMSNorm weight
    /// <paramref name="norm"/> ([n_embd]), and the coverage it reached on the calibration's inputs.</summary>
    public static (float[] Bias, double[] Coverage) Calibrate(ReadOnlySpan<float> weight, ReadOnlySpan<float> norm, int experts, int used,
        float epsilon, Xoshiro256 rng)
    {
        int width = norm.Length;
        var target = new double[experts];
        var shares = TargetShares(experts, used);
        var order = Enumerable.Range(0, experts).ToArray();
        for (int i = experts - 1; i > 0; i--)
        {
            int j = (int)(rng.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        for (int rank = 0; rank < experts; rank++) target[order[rank]] = shares[rank];

        // The unbiased logits of every sample, once: W·(RMSNorm(h)·norm) = (W·diag(norm))·h / rms(h).
        var scaled = new float[experts * width];
        for (int e = 0; e < experts; e++) TensorPrimitives.Multiply(weight.Slice(e * width, width), norm, scaled.AsSpan(e * width, width));
        var logits = new float[Samples * experts];
        var h = new float[width];
        for (int n = 0; n < Samples; n++)
        {
            rng.FillGaussian(h);
            float inverseRms = 1 / MathF.Sqrt(TensorPrimitives.SumOfSquares(h) / width + epsilon);
            for (int e = 0; e < experts; e++) logits[n * experts + e] = TensorPrimitives.Dot(scaled.AsSpan(e * width, width), h) * inverseRms;
        }

        // Fixed point: raise the bias of experts picked too rarely, lower it for those picked too often, in steps of half the
        // logits' spread per e-fold of error (a bias moves a share by roughly exp(bias/σ)).
        float step = 0.5f * Spread(logits);
        var bias = new float[experts];
        var picks = new long[experts];
        for (int s = 0; ; s++)
        {
            Pick(logits, bias, used, picks);
            if (s == Steps) break;
            for (int e = 0; e < experts; e++)
            {
                double observed = Math.Max(picks[e], 0.5) / ((double)Samples * used);   // never picked: as if half a pick
                bias[e] += step * (float)Math.Log(target[e] / observed);
            }
        }
        // Top-k ignores a common offset; without it the bias is easier to read in a dump.
        TensorPrimitives.Subtract(bias, TensorPrimitives.Sum(bias) / experts, bias);

        Pick(logits, bias, used, picks);
        var sorted = picks.Order().Reverse().ToArray();
        var coverage = CoverageExperts(experts).Select(n => (double)sorted.Take(n).Sum() / ((long)Samples * used)).ToArray();
        return (bias, coverage);
    }

    // Counts, per expert, the samples whose k largest biased logits include it (ties to the lower index, as argsort does).
    private static void Pick(float[] logits, float[] bias, int used, long[] picks)
    {
        int experts = bias.Length;
        Array.Clear(picks);
        var taken = new bool[experts];
        for (int n = 0; n < Samples; n++)
        {
            var row = logits.AsSpan(n * experts, experts);
            Array.Clear(taken);
            for (int j = 0; j < used; j++)
            {
                int best = -1;
                for (int e = 0; e < experts; e++)
                    if (!taken[e] && (best < 0 || row[e] + bias[e] > row[best] + bias[best])) best = e;
                taken[best] = true;
                picks[best]++;
            }
        }
    }

    // The standard deviation of all logits: the scale a bias must be measured against.
    private static float Spread(float[] logits)
    {
        float mean = TensorPrimitives.Sum(logits) / logits.Length;
        float meanSquare = TensorPrimitives.SumOfSquares(logits) / logits.Length;
        return MathF.Sqrt(Math.Max(meanSquare - mean * mean, 1e-12f));
    }
}
