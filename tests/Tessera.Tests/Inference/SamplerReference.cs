// A sort-everything reference of llama.cpp's top-k → top-p → min-p (src/llama-sampling.cpp, with min_keep = 0) for
// checking the sampler's selection algorithms on random inputs; top-p's sums are exact here, float in llama.cpp.

namespace Tessera.Tests.Inference;

internal static class SamplerReference
{
    /// <summary>The token ids the three filters keep, ascending.</summary>
    public static int[] KeptTokens(float[] logits, int topK, float topP, float minP)
    {
        // Descending by logit; equal logits by id so the reference is deterministic.
        var sorted = Enumerable.Range(0, logits.Length).Where(i => logits[i] > float.NegativeInfinity)
            .Select(i => (First: i, Second: logits[i])).OrderByDescending(x => x.Second).ThenBy(x => x.First).ToArray();
        var n = sorted.Length;

        if (topK > 0) n = Math.Min(n, topK);

        if (topP < 1)
        {
            // Exact (double) sums in sorted order: the definition, without llama.cpp's float rounding.
            var max = sorted[0].Second;
            var sum = 0.0;
            for (var i = 0; i < n; i++) sum += MathF.Exp(sorted[i].Second - max);
            var cumulative = 0.0;
            for (var i = 0; i < n; i++)
            {
                cumulative += MathF.Exp(sorted[i].Second - max);
                if (cumulative >= topP * sum)
                {
                    n = i + 1;
                    break;
                }
            }
        }

        if (minP > 0)
        {
            var threshold = sorted[0].Second + MathF.Log(minP);
            var kept = 1;
            while (kept < n && sorted[kept].Second >= threshold) kept++;
            n = kept;
        }

        var ids = sorted.Take(n).Select(x => x.First).ToArray();
        Array.Sort(ids);
        return ids;
    }

    /// <summary>The draw over <paramref name="kept"/> (ascending ids) as the sampler defines it: weights
    /// e^(logit/T − max/T), walked in id order; <see cref="IdOrderDraw.Token"/> at u ∈ [0, 1) of the total.</summary>
    public static IdOrderDraw DrawOver(float[] logits, int[] kept, float temperature)
    {
        float max = logits.Max(), scaledMax = max / temperature;
        var cumulative = new double[kept.Length];
        double sum = 0;
        for (var i = 0; i < kept.Length; i++) cumulative[i] = sum += MathF.Exp(logits[kept[i]] / temperature - scaledMax);
        for (var i = 0; i < kept.Length; i++) cumulative[i] /= sum;
        return new IdOrderDraw(kept, cumulative);
    }

    /// <summary>Kept tokens in id order and their cumulative weights as fractions of the total.</summary>
    public sealed record IdOrderDraw(int[] Ids, double[] Cumulative)
    {
        /// <summary>The token whose share of the cumulative weight holds <paramref name="u"/>.</summary>
        public int Token(double u)
        {
            int i = Array.BinarySearch(Cumulative, u);
            i = i < 0 ? ~i : i + 1;   // the first cumulative above u
            return Ids[Math.Min(i, Ids.Length - 1)];
        }

        /// <summary>How far <paramref name="u"/> is from the nearest boundary between two tokens (fractions of the total).</summary>
        public double DistanceToBoundary(double u)
        {
            int i = Array.BinarySearch(Cumulative, u);
            if (i >= 0) return 0;
            i = ~i;
            double below = i > 0 ? u - Cumulative[i - 1] : double.PositiveInfinity, above = i < Cumulative.Length ? Cumulative[i] - u : double.PositiveInfinity;
            return Math.Min(below, above);
        }
    }

    /// <summary>Logits shaped like a language model's: a few strong candidates over a long tail.</summary>
    public static float[] ModelLikeLogits(int count, int seed)
    {
        var random = new Random(seed);
        var logits = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Gaussian tail around 0, plus a handful of peaks.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            logits[i] = (float)(2.5 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        for (var i = 0; i < Math.Min(8, count); i++) logits[random.Next(count)] += 8 + 2 * (float)random.NextDouble();
        return logits;
    }
}
