// What sampling on a device rests on, checked on the host: the sampler walks the kept tokens in id order (a GPU walks
// them so too), a device draw takes the random number the host draw would have taken, and the generator hands the draw
// to a predictor that samples on its device, falling back to the host sampler with the same number when the device
// leaves the choice open. The GPU's own tokens are compared with these in Backends/CudaSamplingTests.cs.

using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplerDeviceDrawTests
{
    private const int Vocabulary = 201_088;

    public static TheoryData<string, int, float, float, float> Settings() => new()
    {
        { "top-k 40", 40, 1, 0, 1 },
        { "top-k 300, temperature 0.5", 300, 1, 0, 0.5f },
        { "top-p 0.9", 0, 0.9f, 0, 1 },
        { "min-p 0.05, temperature 1.5", 0, 1, 0.05f, 1.5f },
        { "min-p 0.001 (thousands kept)", 0, 1, 0.001f, 1 },
        { "all three", 100, 0.95f, 0.01f, 0.8f },
        { "none", 0, 1, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void TheDrawWalksTheKeptTokensInIdOrder(string name, int topK, float topP, float minP, float temperature)
    {
        _ = name;
        var logits = SamplerReference.ModelLikeLogits(Vocabulary, seed: 5);
        var options = new SamplingOptions { TopK = topK, TopP = topP, MinP = minP, Temperature = temperature, Seed = 1 };
        var sampler = new Sampler(options, Vocabulary);
        var draw = SamplerReference.DrawOver(logits, sampler.KeptTokens(logits, []), temperature);
        // Without a filter the sampler weighs the far tail with F32Exp (about 1 ulp from MathF.Exp): a different token
        // needs u that close to a boundary. With one, the weights are the reference's own.
        double tolerance = topK == 0 && topP >= 1 && minP == 0 ? 1e-7 : 1e-12;
        var random = new Random(3);
        int checkedDraws = 0;
        for (int i = 0; i < 2000; i++)
        {
            double u = random.NextDouble();
            if (draw.DistanceToBoundary(u) <= tolerance) continue;
            Assert.Equal(draw.Token(u), sampler.SampleWithDraw(logits, [], u));
            checkedDraws++;
        }
        Assert.True(checkedDraws > 1000, $"only {checkedDraws} draws were away from a boundary");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(Sampler.OrderBySortMost / 2)]
    [InlineData(Sampler.OrderBySortMost * 3)]
    [InlineData(150_000)]
    public void OrderByIdSortsTheCandidatesWithTheirLogits(int n)
    {
        // Min-p keeps a prefix of the largest logits: choose the threshold so that about n are kept, then check them.
        var logits = SamplerReference.ModelLikeLogits(Vocabulary, seed: 8);
        var sorted = logits.OrderDescending().ToArray();
        float minP = MathF.Exp(sorted[n - 1] - sorted[0]);
        var sampler = new Sampler(new SamplingOptions { MinP = minP, Seed = 2 }, Vocabulary) { ExactPath = true };
        var kept = sampler.KeptTokens(logits, []);   // ascending, sorted by the test hook itself
        Assert.InRange(kept.Length, n - 2, n + 2);   // the threshold's float rounding
        // The sampler's own order: a draw at u just above each cumulative boundary is the next id.
        var draw = SamplerReference.DrawOver(logits, kept, 1);
        for (int i = 0; i < kept.Length - 1; i += Math.Max(1, kept.Length / 300))
        {
            double u = (draw.Cumulative[i] + draw.Cumulative[i + 1]) / 2;
            if (draw.DistanceToBoundary(u) <= 1e-12) continue;
            Assert.Equal(kept[i + 1], sampler.SampleWithDraw(logits, [], u));
        }
        // And again: the bit per token is cleared after use.
        Assert.Equal(kept, sampler.KeptTokens(logits, []));
    }

    [Fact]
    public void ADeviceDrawTakesTheRandomNumberTheHostDrawWouldTake()
    {
        var logits = SamplerReference.ModelLikeLogits(Vocabulary, seed: 9);
        for (int i = 0; i < logits.Length; i++) logits[i] *= 0.3f;   // flat enough that draws vary
        var options = new SamplingOptions { TopK = 50, TopP = 0.9f, Temperature = 0.9f, Seed = 11 };
        var host = new Sampler(options, Vocabulary);
        var device = new Sampler(options, Vocabulary);
        var tokens = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            var draw = device.NextDeviceDraw();
            Assert.Equal((options.Temperature, options.TopK, options.TopP, options.MinP), (draw.Temperature, draw.TopK, draw.TopP, draw.MinP));
            int token = device.SampleWithDraw(logits, [], draw.U);
            Assert.Equal(host.Sample(logits, []), token);
            tokens.Add(token);
        }
        Assert.True(tokens.Distinct().Count() > 5);
    }

    [Fact]
    public void OnlySettingsWithoutBiasPenaltiesOrGreedyGoToTheDevice()
    {
        Assert.True(new Sampler(new SamplingOptions(), 10).CanSampleOnDevice);
        Assert.True(new Sampler(new SamplingOptions { TopK = 5, TopP = 0.5f, MinP = 0.1f, RepeatPenalty = 1.1f, PenaltyLastN = 0 }, 10).CanSampleOnDevice);
        Assert.False(new Sampler(SamplingOptions.Greedy, 10).CanSampleOnDevice);
        Assert.False(new Sampler(new SamplingOptions { RepeatPenalty = 1.1f }, 10).CanSampleOnDevice);
        Assert.False(new Sampler(new SamplingOptions { PresencePenalty = 0.5f }, 10).CanSampleOnDevice);
        Assert.False(new Sampler(new SamplingOptions { LogitBias = new Dictionary<int, float> { [3] = 1 } }, 10).CanSampleOnDevice);
        Assert.Throws<InvalidOperationException>(() => new Sampler(SamplingOptions.Greedy, 10).NextDeviceDraw());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void TheGeneratorDrawsOnTheDeviceAndFallsBackWithTheSameDraw(int fallbackEvery)
    {
        // A stand-in device: logits from a seeded generator per position; it draws with the reference (id order) and,
        // every few calls, leaves the choice to the host. The tokens must be those of host sampling on the same logits.
        var options = new SamplingOptions { TopK = 60, TopP = 0.95f, MinP = 0.02f, Temperature = 0.9f, Seed = 21 };
        int[] prompt = [1, 2, 3];
        var tokenizer = Api.ScriptedPredictor.Tokenizer;
        var onDevice = new DrawingPredictor(tokenizer.VocabularySize, fallbackEvery) { SamplesOnDevice = true };
        var onHost = new DrawingPredictor(tokenizer.VocabularySize, fallbackEvery) { SamplesOnDevice = false };
        int[] Generate(DrawingPredictor p) =>
            [.. new TokenGenerator(p, tokenizer, new HashSet<int>()).Generate(prompt, 24, options, CancellationToken.None).Select(t => t.Id).Where(t => t >= 0)];
        var expected = Generate(onHost);
        Assert.Equal(expected, Generate(onDevice));
        Assert.Equal(24, expected.Length);
        Assert.Equal(0, onHost.DeviceDraws);
        Assert.Equal(24, onDevice.DeviceDraws);
        Assert.Equal(fallbackEvery == 0 ? 0 : 12, onDevice.Fallbacks);
    }

    private sealed class DrawingPredictor(int vocabulary, int fallbackEvery) : ISamplingTokenPredictor
    {
        private readonly List<int> _tokens = [];
        public int VocabularySize => vocabulary;
        public int ContextSize => 4096;
        public int Position => _tokens.Count;
        public bool SamplesOnDevice { get; init; }
        public int DeviceDraws { get; private set; }
        public int Fallbacks { get; private set; }

        public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits, CancellationToken cancellationToken = default)
        {
            _tokens.AddRange(tokens);
            Logits().CopyTo(logits);
        }

        public int EvaluateSampled(ReadOnlySpan<int> tokens, TokenDraw draw, Span<float> logits, CancellationToken cancellationToken = default)
        {
            _tokens.AddRange(tokens);
            var values = Logits();
            if (fallbackEvery > 0 && ++DeviceDraws % fallbackEvery == 0)
            {
                Fallbacks++;
                values.CopyTo(logits);
                return -1;
            }
            if (fallbackEvery == 0) DeviceDraws++;
            var kept = SamplerReference.KeptTokens(values, draw.TopK, draw.TopP, draw.MinP);
            return SamplerReference.DrawOver(values, kept, draw.Temperature).Token(draw.U);
        }

        public int EvaluateGreedy(ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not greedy");

        // Flat enough that the draws differ, peaked enough that the filters keep a few dozen tokens.
        private float[] Logits()
        {
            var logits = SamplerReference.ModelLikeLogits(vocabulary, seed: 1000 + Position);
            for (int i = 0; i < logits.Length; i++) logits[i] *= 0.5f;
            return logits;
        }

        public void Truncate(int position) => _tokens.RemoveRange(position, _tokens.Count - position);

        public void Dispose() { }
    }
}
