// The gpt-oss router after its logits (llama.cpp build_moe_ffn with SOFTMAX_WEIGHT gating; gpt-oss-facts.md §4.2j): the
// k experts with the largest biased logits, in descending order, and a softmax over those k logits only (ggml_soft_max:
// max, exp summed in double, scaled by the reciprocal).

namespace Tessera.Backends.Cpu;

/// <summary>Scalar top-k + softmax kernel.</summary>
internal static class TopKSoftmax
{
    /// <summary>Fills <paramref name="experts"/> (length k) with the indices of the k largest <paramref name="logits"/>,
    /// largest first (ties: lower index first), and <paramref name="weights"/> with their softmax.</summary>
    public static void F32(ReadOnlySpan<float> logits, Span<int> experts, Span<float> weights)
    {
        int k = experts.Length;
        if (k > logits.Length)
            throw new ArgumentException($"cannot pick {k} of {logits.Length} experts");
        // Insertion into a sorted list of k: E is small (32 or 128) and k is 4.
        int n = 0;
        for (int e = 0; e < logits.Length; e++)
        {
            float z = logits[e];
            if (n == k && !(z > logits[experts[k - 1]])) continue;
            int at = n < k ? n++ : k - 1;
            while (at > 0 && z > logits[experts[at - 1]])
            {
                experts[at] = experts[at - 1];
                at--;
            }
            experts[at] = e;
        }

        float max = logits[experts[0]];
        double sum = 0;
        for (int j = 0; j < k; j++)
        {
            weights[j] = MathF.Exp(logits[experts[j]] - max);
            sum += weights[j];
        }
        float inverse = (float)(1.0 / sum);
        for (int j = 0; j < k; j++) weights[j] *= inverse;
    }
}
