// The sampler's fast paths (Sampler.Fast.cs) against its exact path (a scalar exp per candidate, the sampler before
// issue 13): the same seed and logits must give the same tokens and keep the same candidates, on logits shaped like a
// model's, with heavy tails, flat, and with most tokens banned (as a grammar mask bans them); and the vector kernels must
// give their scalar references' values at every length.

using Tessera.Backends.Cpu;
using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplerFastPathTests
{
    private const int Vocabulary = 201_088;

    public static TheoryData<string> Shapes() => ["peaked", "heavy tail", "flat", "mostly banned"];

    private static float[][] Rows(string shape, int count = 6)
    {
        var rows = new float[count][];
        for (int r = 0; r < count; r++)
        {
            var rng = new Random(100 + r);
            float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            var row = rows[r] = shape == "heavy tail" ? SamplerReference.ModelLikeLogits(Vocabulary, 100 + r) : new float[Vocabulary];
            if (shape == "heavy tail") continue;
            for (int i = 0; i < row.Length; i++) row[i] = Normal() * (shape == "flat" ? 1 : 2.5f);
            if (shape is "peaked" or "mostly banned")
                for (int j = 0; j < 40; j++) row[rng.Next(row.Length)] += 8 + 8 * (float)rng.NextDouble();
            if (shape == "mostly banned")
                for (int i = 0; i < row.Length; i++)
                    if (i % 10 != 3) row[i] = float.NegativeInfinity;
        }
        return rows;
    }

    private static readonly (string Name, SamplingOptions Options)[] Settings =
    [
        ("temperature 1", new SamplingOptions()),
        ("temperature 0.7", new SamplingOptions { Temperature = 0.7f }),
        ("temperature 1.5", new SamplingOptions { Temperature = 1.5f }),
        ("top-p 0.95", new SamplingOptions { TopP = 0.95f }),
        ("top-p 0.5, temperature 0.8", new SamplingOptions { TopP = 0.5f, Temperature = 0.8f }),
        ("top-k 40", new SamplingOptions { TopK = 40 }),
        ("top-k 2000", new SamplingOptions { TopK = 2000 }),
        ("min-p 0.05", new SamplingOptions { MinP = 0.05f }),
        ("min-p 0.0001", new SamplingOptions { MinP = 0.0001f }),
        ("llama.cpp defaults", new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, MinP = 0.05f }),
        ("bias and penalties, top-p 0.9", new SamplingOptions
        {
            TopP = 0.9f, RepeatPenalty = 1.1f, PresencePenalty = 0.5f, PenaltyLastN = -1,
            LogitBias = new Dictionary<int, float> { [13] = float.NegativeInfinity, [23] = 3 },
        }),
        ("greedy", SamplingOptions.Greedy),
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFastPathsDrawTheExactPathsTokensAndKeepItsCandidates(string shape)
    {
        var rows = Rows(shape);
        var history = Enumerable.Range(0, 300).Select(i => i * 7919 % Vocabulary).ToArray();
        foreach (var (name, options) in Settings)
        {
            var fast = new Sampler(options with { Seed = 7 }, Vocabulary);
            var exact = new Sampler(options with { Seed = 7 }, Vocabulary) { ExactPath = true };
            for (int i = 0; i < 40; i++)
            {
                var row = rows[i % rows.Length];
                Assert.True(exact.Sample(row, history) == fast.Sample(row, history), $"{shape}, {name}: draw {i} differs");
            }
            foreach (var row in rows)
                Assert.Equal(exact.KeptTokens(row, history), fast.KeptTokens(row, history));
        }
    }

    [Fact]
    public void WeighGivesTheScalarReferenceAtEveryLength()
    {
        var rng = new Random(5);
        foreach (float temperature in new[] { 1f, 0.7f })
            for (int length = 0; length <= 300; length++)
            {
                var logits = Enumerable.Range(0, length).Select(i => i % 17 == 0 ? float.NegativeInfinity : (float)(rng.NextDouble() * 40 - 30)).ToArray();
                float scaledMax = 10 / temperature;
                var weights = new float[length];
                double sum = Sampler.Weigh(logits, weights, temperature, scaledMax), expectedSum = 0;
                for (int i = 0; i < length; i++)
                {
                    float x = logits[i] / temperature - scaledMax;
                    float expected = x >= -8 ? MathF.Exp(x) : F32Exp.Exp(x);
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(weights[i]));
                    expectedSum += expected;
                }
                Assert.Equal(expectedSum, sum, Math.Abs(expectedSum) * 1e-12);
            }
    }

    [Fact]
    public void IndexOfAndArgmaxFindWhatArrayIndexOfFinds()
    {
        var rng = new Random(9);
        for (int length = 0; length <= 300; length++)
        {
            var values = Enumerable.Range(0, length).Select(_ => (float)rng.Next(-50, 50)).ToArray();
            foreach (float value in new[] { 7f, 0f, -0f, 1000f })
                Assert.Equal(Array.IndexOf(values, value), LogitScan.IndexOf(values, value));
            // The maximum's first index in the same pass as the maximum: ties (values repeat) go to the lowest index.
            if (length == 0) continue;
            var max = LogitScan.Max(values, out int argmax, out _, out _);
            Assert.Equal(values.Max(), max);
            Assert.Equal(Array.IndexOf(values, max), argmax);
        }
    }
}
