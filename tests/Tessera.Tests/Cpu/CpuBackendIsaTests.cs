// The whole forward pass on every ISA path and thread count gives the scalar reference's logits bit for bit (prefill in
// batches and token-by-token decoding, across the sliding-window ring), with the exact attention path and with the fast
// one, and decoding a token allocates nothing (on both paths).

using Tessera.Backends.Cpu;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Tests.GptOss;

namespace Tessera.Tests.Cpu;

public class CpuBackendIsaTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static int[] Tokens(int count)
    {
        var rng = new Random(11);
        return Enumerable.Range(0, count).Select(_ => rng.Next(0, 199_998)).ToArray();
    }

    private static float[] Logits(string model, CpuIsa isa, int threads, int[] tokens, int decoded, bool exact)
    {
        using var p = GptOssPredictor.Open(model, new GptOssPredictorOptions
        {
            Isa = isa, Threads = threads, BatchSize = 64, ContextSize = 512, ExactAttention = exact,
        });
        var prompt = tokens.AsSpan(0, tokens.Length - decoded);
        var all = new float[tokens.Length * p.VocabularySize];
        p.EvaluateAllPositions(prompt, all.AsSpan(0, prompt.Length * p.VocabularySize), Cancel);
        for (int i = prompt.Length; i < tokens.Length; i++)
            p.Evaluate(tokens.AsSpan(i, 1), all.AsSpan(i * p.VocabularySize, p.VocabularySize), Cancel);
        return all;
    }

    [Theory]
    [InlineData("4-layer-seed3", true)]
    [InlineData("3-layer-seed2", true)]
    [InlineData("4-layer-seed3", false)]
    [InlineData("3-layer-seed2", false)]
    public void EveryIsaAndThreadCountGivesTheReferenceLogits(string shape, bool exactAttention)
    {
        var model = GptOssLlamaCppComparisonTests.Model(shape);
        var tokens = Tokens(150);
        var expected = Logits(model, CpuIsa.Scalar, 1, tokens, decoded: 10, exactAttention);
        foreach (var isa in CpuKernelData.FastPaths)
            foreach (int threads in new[] { 1, 3 })
                Assert.True(expected.AsSpan().SequenceEqual(Logits(model, isa, threads, tokens, decoded: 10, exactAttention)), $"{isa}, {threads} threads");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DecodingATokenAllocatesNothing(bool exactAttention)
    {
        using var p = GptOssPredictor.Open(TestModels.Tiny, new GptOssPredictorOptions { Threads = 2, ContextSize = 256, ExactAttention = exactAttention });
        var logits = new float[p.VocabularySize];
        var tokens = Tokens(120);
        p.Evaluate(tokens.AsSpan(0, 8), logits, Cancel);
        // Buffers grow to size and the JIT settles (its first compilations allocate).
        for (int i = 8; i < 80; i++) p.Evaluate(tokens.AsSpan(i, 1), logits, Cancel);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 80; i < 120; i++) p.Evaluate(tokens.AsSpan(i, 1), logits, Cancel);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"40 decode steps allocated {allocated} bytes");
    }
}
