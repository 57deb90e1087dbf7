// Sampling under a constraint: the same tokens as banning the disallowed ones with logit bias -infinity (greedy, and
// with truncation, where the full mask is always applied); with plain temperature sampling (the path that tries the
// unconstrained draw first) the frequencies are those of the model's distribution restricted to the allowed set.

using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplerConstraintTests
{
    private sealed class SetConstraint(HashSet<int> allowed, int vocabulary, bool someAsExtra = true) : ITokenConstraint
    {
        public int MaskRequests { get; private set; }

        public bool IsAllowed(int token) => allowed.Contains(token);

        public TokenMask AllowedTokens()
        {
            MaskRequests++;
            var bits = new ulong[(vocabulary + 63) / 64];
            var extra = new List<int>();
            foreach (var t in allowed)
            {
                if (someAsExtra && t % 7 == 0) extra.Add(t);   // some through the extra list, as special tokens come
                else bits[t >> 6] |= 1UL << t;
            }
            return new TokenMask(bits, [.. extra]);
        }

        public void Accept(int token) => Assert.Contains(token, allowed);
    }

    private static float[] RandomLogits(Random rng, int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 8 - 4))];

    [Theory]
    [InlineData(0f, 0, 1f)]
    [InlineData(0.8f, 40, 1f)]
    [InlineData(1f, 0, 0.9f)]
    [InlineData(1.2f, 0, 1f)]   // plain sampling: checked by distribution below, here only that it stays allowed
    public void MatchesBanningByLogitBias(float temperature, int topK, float topP)
    {
        var rng = new Random(3);
        foreach (var vocabulary in new[] { 5, 64, 65, 130, 1000, 4099 })
        {
            for (var trial = 0; trial < 20; trial++)
            {
                var logits = RandomLogits(rng, vocabulary);
                // Sparse, half and nearly full masks: runs of banned words, mixed words, and words of allowed tokens only.
                var density = (trial % 3) switch { 0 => 0.02, 1 => 0.5, _ => 0.98 };
                var allowed = Enumerable.Range(0, vocabulary).Where(_ => rng.NextDouble() < density).ToHashSet();
                allowed.Add(rng.Next(vocabulary));
                var constraint = new SetConstraint(allowed, vocabulary);
                var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, Seed = (ulong)trial };
                var token = new Sampler(options, vocabulary).SampleConstrained(logits, [], constraint);
                Assert.Contains(token, allowed);
                if (temperature == 1.2f) continue;
                var bias = Enumerable.Range(0, vocabulary).Where(t => !allowed.Contains(t)).ToDictionary(t => t, _ => float.NegativeInfinity);
                var reference = new Sampler(options with { LogitBias = bias }, vocabulary).Sample(logits, []);
                Assert.Equal(reference, token);
            }
        }
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0f, 1.5f)]
    [InlineData(0.8f, 0f)]
    public void AMaskThatBansOnlyTheFavouriteKeepsEveryOtherLogit(float temperature, float penalty)
    {
        // Every token allowed but the most likely: whole words of the bit set allow everything, and the choice after the
        // rejection must see the caller's logits there (with penalties, the adjusted ones), as banning by bias does.
        var rng = new Random(7);
        foreach (var vocabulary in new[] { 200, 4099 })
            for (var trial = 0; trial < 10; trial++)
            {
                var logits = RandomLogits(rng, vocabulary);
                var favourite = Array.IndexOf(logits, logits.Max());
                var allowed = Enumerable.Range(0, vocabulary).Where(t => t != favourite).ToHashSet();
                int[] history = penalty > 0 ? [.. Enumerable.Range(0, 10).Select(_ => rng.Next(vocabulary))] : [];
                var options = new SamplingOptions { Temperature = temperature, TopK = 5, RepeatPenalty = penalty > 0 ? penalty : 1, Seed = (ulong)trial };
                var token = new Sampler(options, vocabulary).SampleConstrained(logits, history, new SetConstraint(allowed, vocabulary, someAsExtra: false));
                var bans = new Dictionary<int, float> { [favourite] = float.NegativeInfinity };
                Assert.Equal(new Sampler(options with { LogitBias = bans }, vocabulary).Sample(logits, history), token);
            }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.7f)]
    public void MaskAfterBiasAndPenaltiesMatchesBanningByLogitBias(float temperature)
    {
        // With bias or penalties the logits are adjusted first and the mask applied after (without them, the copy and the
        // mask are one pass): either way the tokens of banning by logit bias.
        var rng = new Random(5);
        const int vocabulary = 1000;
        for (var trial = 0; trial < 30; trial++)
        {
            var logits = RandomLogits(rng, vocabulary);
            var allowed = Enumerable.Range(0, vocabulary).Where(_ => rng.NextDouble() < 0.3).ToHashSet();
            allowed.Add(rng.Next(vocabulary));
            var bias = Enumerable.Range(0, 20).Select(_ => rng.Next(vocabulary)).Distinct().ToDictionary(t => t, _ => (float)(rng.NextDouble() * 6 - 3));
            int[] history = [.. Enumerable.Range(0, 30).Select(_ => rng.Next(vocabulary))];
            var options = new SamplingOptions { Temperature = temperature, TopP = 0.9f, RepeatPenalty = 1.3f, LogitBias = bias, Seed = (ulong)trial };
            var token = new Sampler(options, vocabulary).SampleConstrained(logits, history, new SetConstraint(allowed, vocabulary));
            Assert.Contains(token, allowed);
            var bans = new Dictionary<int, float>(bias);
            foreach (var t in Enumerable.Range(0, vocabulary).Where(t => !allowed.Contains(t))) bans[t] = float.NegativeInfinity;
            Assert.Equal(new Sampler(options with { LogitBias = bans }, vocabulary).Sample(logits, history), token);
        }
    }

    [Fact]
    public void PlainSamplingDrawsFromTheRestrictedDistribution()
    {
        float[] logits = [2f, 1f, 0.5f, 3f, -1f, 0f, 1.5f, 2.5f];
        HashSet<int> allowed = [1, 2, 4, 6];
        var constraint = new SetConstraint(allowed, logits.Length);
        var sampler = new Sampler(new SamplingOptions { Seed = 42 }, logits.Length);
        var counts = new int[logits.Length];
        const int Draws = 40_000;
        for (var i = 0; i < Draws; i++) counts[sampler.SampleConstrained(logits, [], constraint)]++;
        var z = allowed.Sum(t => Math.Exp(logits[t]));
        foreach (var t in Enumerable.Range(0, logits.Length))
        {
            var p = allowed.Contains(t) ? Math.Exp(logits[t]) / z : 0;
            var sigma = Math.Sqrt(Draws * p * (1 - p));
            Assert.InRange(counts[t], Draws * p - 5 * sigma - 1, Draws * p + 5 * sigma + 1);
        }
        // Tokens 0, 3 and 7 hold most of the mass, so most first draws are rejected and the mask is built.
        Assert.InRange(constraint.MaskRequests, Draws / 2, Draws);
    }

    [Fact]
    public void AnAllowedFirstChoiceNeedsNoMask()
    {
        float[] logits = [0f, 5f, 1f];
        var constraint = new SetConstraint([1, 2], 3);
        Assert.Equal(1, new Sampler(SamplingOptions.Greedy, 3).SampleConstrained(logits, [], constraint));
        Assert.Equal(0, constraint.MaskRequests);
        Assert.Equal(2, new Sampler(SamplingOptions.Greedy, 3).SampleConstrained([0f, 1f, 5f, ], [], new SetConstraint([2], 3)));
        Assert.Equal(2, new Sampler(SamplingOptions.Greedy, 3).SampleConstrained([9f, 1f, 5f], [], new SetConstraint([2], 3)));
    }
}
