// The sampler's fast paths (Sampler.Fast.cs) against its exact path (a scalar exp per candidate, the sampler before
// issue 13): the same seed and logits must give the same tokens and keep the same candidates, on logits shaped like a
// model's, with heavy tails, flat, and with most tokens banned (as a grammar mask bans them), at every vector width (the
// 256-bit one is what an AVX2 machine runs); the logits are read in place unless bias, penalties or a mask change them,
// and a mask then works on a copy; top-p's bounds of the tail's mass hold; and the vector kernels must give their scalar
// references' values at every length.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        ("top-p 0.99", new SamplingOptions { TopP = 0.99f }),
        ("top-k 40", new SamplingOptions { TopK = 40 }),
        ("top-k 300", new SamplingOptions { TopK = 300 }),
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

    public static TheoryData<string, string> ShapesAndWidths()
    {
        var data = new TheoryData<string, string>();
        foreach (var shape in new[] { "peaked", "heavy tail", "flat", "mostly banned" })
            foreach (var width in new[] { nameof(LogitBlocks.Width.Vector512), nameof(LogitBlocks.Width.Vector256), nameof(LogitBlocks.Width.Scalar) })
                data.Add(shape, width);
        return data;
    }

    [Theory]
    [MemberData(nameof(ShapesAndWidths))]
    public void TheFastPathsDrawTheExactPathsTokensAndKeepItsCandidates(string shape, string widthName)
    {
        var width = SamplerLogitBlocksTests.Accelerated(widthName);
        var rows = Rows(shape);
        var history = Enumerable.Range(0, 300).Select(i => i * 7919 % Vocabulary).ToArray();
        foreach (var (name, options) in Settings)
        {
            var fast = new Sampler(options with { Seed = 7 }, Vocabulary) { Width = width };
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
    public void TheLogitsAreReadInPlaceUnlessBiasPenaltiesOrAMaskChangeThem()
    {
        var logits = Rows("peaked", 1)[0];
        var before = logits.ToArray();
        int[] history = [5, 17, 17, 4000];
        bool InPlace(SamplingOptions options, int[] history) =>
            Unsafe.AreSame(ref MemoryMarshal.GetReference(new Sampler(options, Vocabulary).AdjustLogits(logits, history)), ref logits[0]);
        Assert.True(InPlace(new SamplingOptions { TopP = 0.95f }, history));
        Assert.True(InPlace(SamplingOptions.Greedy, history));
        Assert.True(InPlace(new SamplingOptions { RepeatPenalty = 1.1f }, []), "penalties with nothing in the window change nothing");
        Assert.True(InPlace(new SamplingOptions { RepeatPenalty = 1.1f, PenaltyLastN = 0 }, history), "penalties off");
        Assert.False(InPlace(new SamplingOptions { RepeatPenalty = 1.1f }, history));
        Assert.False(InPlace(new SamplingOptions { LogitBias = new Dictionary<int, float> { [3] = 0.5f } }, []));

        // Sampling reads the caller's logits and never writes them, with or without a copy.
        foreach (var options in new[] { new SamplingOptions { TopP = 0.95f }, new SamplingOptions { TopK = 40, RepeatPenalty = 1.3f, LogitBias = new Dictionary<int, float> { [9] = float.NegativeInfinity } } })
        {
            var fast = new Sampler(options with { Seed = 3 }, Vocabulary);
            var exact = new Sampler(options with { Seed = 3 }, Vocabulary) { ExactPath = true };
            for (int i = 0; i < 20; i++) Assert.Equal(exact.Sample(logits, history), fast.Sample(logits, history));
        }
        Assert.Equal(before, logits);
    }

    private sealed class EveryThird(int vocabulary) : ITokenConstraint
    {
        public bool IsAllowed(int token) => token % 3 == 1 || token == 6;
        public TokenMask AllowedTokens()
        {
            var bits = new ulong[(vocabulary + 63) / 64];
            for (int t = 1; t < vocabulary; t += 3) bits[t >> 6] |= 1UL << t;
            return new TokenMask(bits, [6]);   // one through the extra list, as special tokens come
        }
        public void Accept(int token) { }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AMaskOverTheWholeVocabularyGivesTheTokensOfBanningByLogitBias(string shape)
    {
        var rows = Rows(shape, 3);
        var before = rows.Select(r => r.ToArray()).ToArray();
        var constraint = new EveryThird(Vocabulary);
        var bans = Enumerable.Range(0, Vocabulary).Where(t => !constraint.IsAllowed(t)).ToDictionary(t => t, _ => float.NegativeInfinity);
        foreach (var (name, options) in Settings.Where(s => s.Options.LogitBias.Count == 0))
        {
            // The fast path and the exact one, each alternating constrained calls (a copy, masked) with unconstrained
            // ones (in place: the mask must be gone), and the fast path banning by logit bias.
            var fast = new Sampler(options with { Seed = 5 }, Vocabulary);
            var exact = new Sampler(options with { Seed = 5 }, Vocabulary) { ExactPath = true };
            var banned = new Sampler(options with { Seed = 5, LogitBias = bans }, Vocabulary);
            // Plain temperature tries the unconstrained draw first: its tokens follow the same distribution as banning's,
            // not the same draws (SamplerConstraintTests).
            bool sameAsBanning = options.Temperature == 0 || options.TopK > 0 || options.TopP < 1 || options.MinP > 0;
            for (int i = 0; i < 12; i++)
            {
                var row = rows[i % rows.Length];
                int token = fast.SampleConstrained(row, [], constraint);
                Assert.True(constraint.IsAllowed(token), $"{shape}, {name}: token {token} is not allowed");
                Assert.True(exact.SampleConstrained(row, [], constraint) == token, $"{shape}, {name}: constrained draw {i} differs");
                if (sameAsBanning) Assert.True(banned.Sample(row, []) == token, $"{shape}, {name}: draw {i} differs from banning");
                var next = rows[(i + 1) % rows.Length];
                Assert.True(exact.Sample(next, []) == fast.Sample(next, []), $"{shape}, {name}: unconstrained draw {i} differs");
                banned.Sample(next, []);   // one draw, to keep its generator in step
            }
        }
        for (int r = 0; r < rows.Length; r++) Assert.Equal(before[r], rows[r]);
    }

    [Theory]
    [MemberData(nameof(ShapesAndWidths))]
    public void TopPsBoundsOfTheTailsMassHoldTheExactSum(string shape, string widthName)
    {
        var width = SamplerLogitBlocksTests.Accelerated(widthName);
        var sampler = new Sampler(new SamplingOptions { TopP = 0.95f }, Vocabulary) { Width = width };
        foreach (var row in Rows(shape, 3))
        {
            sampler.Scan(row, withTailMass: true);
            float max = row.Max();
            foreach (int logits in new[] { 8, 16 })
            {
                int limit = logits * 64;
                int head = sampler.PrepareHead(row, limit, Sampler.Tail.Bounds);
                double tail = 0;
                int expectedHead = 0;
                foreach (var x in row)
                {
                    if ((max - x) * 64 < limit) expectedHead++;
                    else tail += MathF.Exp(x - max);
                }
                if (expectedHead > 8192) continue;   // the sampler gives up on so large a head
                Assert.Equal(expectedHead, head);
                var (low, high) = sampler.TailBounds;
                Assert.True(low <= tail && tail <= high, $"{shape}, {logits} logits: {tail} outside [{low}, {high}]");
                Assert.True(high - low <= 4e-4 * tail + 1e-30, $"{shape}, {logits} logits: [{low}, {high}] too wide for {tail}");
            }
        }
    }

    [Fact]
    public void GreedyFindsTheFirstMaximumAcrossBlocks()
    {
        var logits = new float[5000];
        Array.Fill(logits, -1f);
        logits[4100] = 3;
        logits[700] = 3;
        logits[1500] = 3;
        var greedy = new Sampler(SamplingOptions.Greedy, logits.Length);
        Assert.Equal(700, greedy.Sample(logits, []));
        // A maximum of 0 first held as −0 (the blocks' maxima may keep either sign).
        logits.AsSpan().Fill(-1f);
        logits[3000] = 0;
        logits[600] = -0f;
        logits[2000] = 0;
        Assert.Equal(600, greedy.Sample(logits, []));
        logits[600] = -1;
        Assert.Equal(2000, greedy.Sample(logits, []));
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
