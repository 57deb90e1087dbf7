// The sampler's filters against llama.cpp's own samplers (through LLamaSharp's native sampler chain, no model needed):
// logit bias, penalties, top-k, top-p and min-p in common_sampler's order must keep the same tokens with the same logits,
// except where llama.cpp's float sums move the top-p boundary by tokens of negligible probability.

using LLama.Native;
using Tessera.Inference;
using Tessera.Tests.Inference;

namespace Tessera.Tests.Oracle;

public class SamplerInLlamaCppTests(ITestOutputHelper output)
{
    private const int Vocabulary = 201_088;

    public static TheoryData<int, float, float, float, float, float, int> Settings() => new()
    {
        // top-k, top-p, min-p, repeat, frequency, presence, last-n
        { 40, 0.95f, 0.05f, 1, 0, 0, 64 },
        { 0, 0.95f, 0, 1, 0, 0, 64 },
        { 0, 0.5f, 0.01f, 1.3f, 0, 0, 64 },
        { 0, 1, 0.02f, 1.1f, 0.4f, 0.6f, 32 },
        { 1000, 0.99f, 0, 1, 1.5f, -0.5f, 4096 },
        { 5, 1, 0, 2, 0, 0, 8 },
        { 0, 1, 0, 1.5f, 0.25f, 0.5f, 64 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void KeepsWhatLlamaCppKeeps(int topK, float topP, float minP, float repeat, float frequency, float presence, int lastN)
    {
        LlamaCpp.EnsureLoaded();
        for (var seed = 0; seed < 3; seed++)
        {
            var logits = SamplerReference.ModelLikeLogits(Vocabulary, seed + 100);
            var random = new Random(seed);
            // Repeat some of the likeliest tokens so that the penalties change what the filters keep.
            var likely = Enumerable.Range(0, Vocabulary).OrderByDescending(i => logits[i]).Take(20).ToArray();
            var history = Enumerable.Range(0, 6000)
                .Select(i => i % 3 == 0 ? likely[random.Next(likely.Length)] : random.Next(Vocabulary)).ToArray();
            var bias = new Dictionary<int, float> { [likely[0]] = float.NegativeInfinity, [likely[5]] = 1.5f, [17] = 12 };

            var options = new SamplingOptions
            {
                TopK = topK, TopP = topP, MinP = minP, RepeatPenalty = repeat, FrequencyPenalty = frequency,
                PresencePenalty = presence, PenaltyLastN = lastN, LogitBias = bias,
            };
            var sampler = new Sampler(options, Vocabulary);
            var kept = sampler.KeptTokens(logits, history);
            var adjusted = sampler.AdjustLogits(logits, history).ToArray();

            var (oracleIds, oracleLogits) = LlamaCppKeeps(logits, history, options);
            var common = kept.Intersect(oracleIds).ToArray();
            var differ = kept.Union(oracleIds).Except(common).ToArray();
            if (differ.Length > 0)
            {
                // Only top-p may differ, and only at its boundary: llama.cpp adds normalised probabilities in float,
                // each addition off by up to 2^-24 of the running sum (plus as much again in the normaliser), where
                // the sampler's sums are exact.
                Assert.True(topP < 1, $"{differ.Length} tokens differ without top-p");
                var max = adjusted.Where(float.IsFinite).Max();
                Assert.All(differ, id => Assert.True(adjusted[id] <= common.Min(c => adjusted[c])));
                var total = adjusted.Where(float.IsFinite).Sum(l => Math.Exp(l - max));
                var differMass = differ.Sum(id => Math.Exp(adjusted[id] - max)) / total;
                var bound = 2.0 * Math.Max(kept.Length, oracleIds.Length) * Math.ScaleB(1, -24);
                output.WriteLine($"seed {seed}: {kept.Length} kept, llama.cpp {oracleIds.Length}; probability {differMass:E2} differs (bound {bound:E2})");
                Assert.True(differMass <= bound);
            }
            var oracleLogit = oracleIds.Zip(oracleLogits).ToDictionary(x => x.First, x => x.Second);
            foreach (var id in common) Assert.Equal(oracleLogit[id], adjusted[id], 1e-6f);
        }
    }

    /// <summary>Kept ids (ascending) and their logits after llama.cpp's logit-bias, penalties, top-k, top-p and min-p.</summary>
    private static (int[] Ids, float[] Logits) LlamaCppKeeps(float[] logits, int[] history, SamplingOptions options)
    {
        using var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        var biases = options.LogitBias.Select(b => new LLamaLogitBias { Token = b.Key, Bias = b.Value }).ToArray();
        chain.AddLogitBias(Vocabulary, biases);
        chain.AddPenalties(options.PenaltyLastN, options.RepeatPenalty, options.FrequencyPenalty, options.PresencePenalty);
        chain.AddTopK(options.TopK);
        chain.AddTopP(options.TopP, 1);
        chain.AddMinP(options.MinP, 1);
        foreach (var token in history) chain.Accept(token);

        var array = LLamaTokenDataArray.Create(logits);
        using (LLamaTokenDataArrayNative.Create(array, out var native))
        {
            chain.Apply(ref native);
            var kept = native.Data[..(int)native.Size].ToArray()
                .Select(d => (Id: (int)d.ID, d.Logit))
                .Where(d => d.Logit > float.NegativeInfinity) // banned: llama.cpp keeps them, with probability 0
                .OrderBy(d => d.Id)
                .ToArray();
            return ([.. kept.Select(d => d.Id)], [.. kept.Select(d => d.Logit)]);
        }
    }
}
