// GptOssPredictor and its KV cache against themselves: batch sizes, a wrapped sliding-window ring, token-by-token decoding
// and truncation anywhere (the ring refilled from the history) must all give the logits of one straight evaluation, bit for bit; overflow, cancellation and bad files
// fail clearly and leave the cache as it was.

using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera.Tests.GptOss;

public class GptOssPredictorTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Arbitrary ordinary tokens: these tests compare the predictor with itself, so no tokenizer is needed.
    private static int[] Tokens(int count)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, count).Select(_ => rng.Next(0, 199_998)).ToArray();
    }

    private static GptOssPredictor Open(int batchSize = 512, int contextSize = 512, bool exactAttention = false) =>
        GptOssPredictor.Open(TestModels.Tiny, new GptOssPredictorOptions { BatchSize = batchSize, ContextSize = contextSize, ExactAttention = exactAttention });

    private static float[] LastLogits(GptOssPredictor p, ReadOnlySpan<int> tokens)
    {
        var logits = new float[p.VocabularySize];
        p.Evaluate(tokens, logits, Cancel);
        return logits;
    }

    [Fact]
    public void BatchesOfAnySizeGiveTheSameLogitsEvenWhenTheRingWraps()
    {
        var tokens = Tokens(200);
        using var whole = Open();
        using var small = Open(batchSize: 48);
        Assert.Equal(128 + 48, small.Cache.SlidingWindowSlots);   // the window behind a batch, plus the batch
        Assert.Equal(512, small.Cache.Layer(1).Keys.Rows);         // full layers hold the context
        var expected = LogitsDump.Evaluate(whole, tokens, Cancel);
        var actual = LogitsDump.Evaluate(small, tokens, Cancel);
        Assert.True(expected.Values.AsSpan().SequenceEqual(actual.Values), "logits differ between batch sizes");
    }

    [Fact]
    public void PromptsOfEveryLengthShareOneScratchAllocation()
    {
        // A chat's turns: prompts of 40, 25, 33 and 2 tokens one after the other. The batch scratch is made once (for 40)
        // and viewed by row count for the others, and each turn's logits are those of a fresh evaluation of the history.
        var tokens = Tokens(100);
        using var p = Open();
        int at = 0;
        foreach (int n in new[] { 40, 25, 33, 2 })
        {
            var got = LastLogits(p, tokens.AsSpan(at, n));
            at += n;
            using var fresh = Open();
            Assert.True(LastLogits(fresh, tokens.AsSpan(0, at)).AsSpan().SequenceEqual(got), $"logits after {at} tokens differ");
        }
        Assert.Equal(1, p.Model.ScratchAllocations);
    }

    [Fact]
    public void DecodingTokenByTokenGivesTheBatchLogits()
    {
        var tokens = Tokens(160);
        using var batch = Open();
        var expected = LogitsDump.Evaluate(batch, tokens, Cancel);

        using var decoder = Open(batchSize: 16);   // a 144-slot ring: it wraps before position 160
        LastLogits(decoder, tokens.AsSpan(0, 140));
        for (int i = 140; i < tokens.Length; i++)
        {
            var logits = LastLogits(decoder, tokens.AsSpan(i, 1));
            Assert.True(expected.Row(i).SequenceEqual(logits), $"position {i} differs");
        }
        Assert.Equal(160, decoder.Position);
    }

    [Fact]
    public void LogitsReadInPlaceAreThoseCopiedOut()
    {
        // The form that leaves the logits where the backend keeps them (the CPU's own tensor) gives the values the copying
        // form writes, for a prompt and for tokens decoded one at a time, each valid until the next call.
        var tokens = Tokens(40);
        using var copying = Open();
        using var inPlace = Open();
        Assert.True(LastLogits(copying, tokens.AsSpan(0, 30)).AsSpan().SequenceEqual(inPlace.Evaluate(tokens.AsSpan(0, 30), Cancel)));
        for (int i = 30; i < tokens.Length; i++)
            Assert.True(LastLogits(copying, tokens.AsSpan(i, 1)).AsSpan().SequenceEqual(inPlace.Evaluate(tokens.AsSpan(i, 1), Cancel)), $"position {i} differs");
        Assert.Equal(40, inPlace.Position);
    }

    [Fact]
    public void TruncatingKeepsThePrefix()
    {
        var tokens = Tokens(200);
        using var p = Open(batchSize: 32);
        var expected = LastLogits(p, tokens);
        p.Truncate(180);
        Assert.Equal(180, p.Position);
        Assert.Equal(expected, LastLogits(p, tokens.AsSpan(180)));
    }

    [Theory]
    [InlineData(50, false)]    // far behind the ring: positions 0..49 all come back from the history
    [InlineData(150, false)]   // the ring still holds the window behind it, not all it held when 150 was evaluated
    [InlineData(259, false)]
    [InlineData(1, false)]
    [InlineData(50, true)]
    [InlineData(150, true)]
    public void TruncatingAnywhereThenDivergingGivesTheLogitsOfAFreshEvaluation(int keep, bool exactAttention)
    {
        var tokens = Tokens(260);
        var other = Tokens(300)[260..];   // a different continuation
        using var p = Open(batchSize: 32, exactAttention: exactAttention);   // ring of 160 slots: it wraps once here
        LastLogits(p, tokens.AsSpan(0, 100));
        LastLogits(p, tokens.AsSpan(100));
        Assert.True(p.Cache.TruncatesAnywhere);

        p.Truncate(keep);
        Assert.Equal(keep, p.Position);
        var actual = new float[other.Length * p.VocabularySize];
        p.EvaluateAllPositions(other, actual, Cancel);

        using var fresh = Open(batchSize: 32, exactAttention: exactAttention);
        LastLogits(fresh, tokens.AsSpan(0, keep));
        var expected = new float[actual.Length];
        fresh.EvaluateAllPositions(other, expected, Cancel);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"logits after truncating to {keep} differ from a fresh evaluation");
    }

    [Fact]
    public void TruncatingTwiceAndGoingForwardAgainKeepsTheRingRight()
    {
        var tokens = Tokens(400);
        using var p = Open(batchSize: 16);   // ring of 144 slots
        LastLogits(p, tokens.AsSpan(0, 350));
        p.Truncate(300);
        LastLogits(p, tokens.AsSpan(300, 50));   // the same tokens again, one ring turn after the refill
        p.Truncate(20);
        var actual = LastLogits(p, tokens.AsSpan(20));

        using var fresh = Open(batchSize: 16);
        Assert.Equal(LastLogits(fresh, tokens), actual);
    }

    [Fact]
    public void WithoutAHistoryTruncatingBehindTheRingClearsTheCache()
    {
        using var backend = new Tessera.Backends.Cpu.CpuBackend(threads: 1);
        using var cache = new KvCache(backend, [128, 0], 32, 512, 32, slidingHistory: false);   // ring of 160 slots
        Assert.False(cache.TruncatesAnywhere);
        Assert.Null(cache.Layer(0).HistoryKeys);
        cache.Append(32);
        cache.Append(32);
        Assert.Equal(40, cache.Truncate(40));   // the window behind 40 is still in the ring
        for (int i = 0; i < 5; i++) cache.Append(32);
        Assert.Equal(0, cache.Truncate(50));    // would need positions from 0 on in the sliding-window layers
        Assert.Equal(0, cache.Position);
    }

    [Fact]
    public void APromptThatDoesNotFitThrowsAndLeavesTheCache()
    {
        using var p = Open(contextSize: 64);
        var e = Assert.Throws<ContextOverflowException>(() => LastLogits(p, Tokens(65)));
        Assert.Equal((65, 64), (e.Needed, e.ContextSize));
        Assert.Equal(0, p.Position);

        LastLogits(p, Tokens(60));
        e = Assert.Throws<ContextOverflowException>(() => LastLogits(p, Tokens(5)));
        Assert.Equal(65, e.Needed);
        Assert.Equal(60, p.Position);
    }

    [Fact]
    public void ACancelledEvaluationRollsBack()
    {
        using var p = Open();
        LastLogits(p, Tokens(10));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => p.Evaluate(Tokens(5), new float[p.VocabularySize], cancelled.Token));
        Assert.Equal(10, p.Position);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var p = Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => LastLogits(p, [201_088]));
        Assert.Throws<ArgumentException>(() => LastLogits(p, []));
        Assert.Throws<ArgumentException>(() => p.Evaluate([1], new float[10], Cancel));
        Assert.Throws<ArgumentOutOfRangeException>(() => Open(contextSize: 4097));   // the tiny model's context_length is 4096
        Assert.Throws<ArgumentOutOfRangeException>(() => Open(contextSize: 0));
    }

    [Fact]
    public void AnF32CacheIsAvailable()
    {
        using var p = GptOssPredictor.Open(TestModels.Tiny, new GptOssPredictorOptions { KvCacheType = GgmlType.F32 });
        Assert.Equal(GgmlType.F32, p.Cache.Type);
        Assert.Equal(4096, p.ContextSize);
        Assert.All(LastLogits(p, Tokens(20)), x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        using var file = Rewrite(t => t.Name == "blk.1.attn_k.bias" ? null : t.Dimensions);
        var e = Assert.Throws<GgufFormatException>(() => GptOssWeights.Load(file, GptOssHyperParameters.FromGguf(file)));
        Assert.Contains("blk.1.attn_k.bias", e.Field);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void AMisShapedTensorIsNamedWithBothShapes()
    {
        using var file = Rewrite(t => t.Name == "blk.0.attn_sinks.weight" ? [2] : t.Dimensions);
        var e = Assert.Throws<GgufFormatException>(() => GptOssWeights.Load(file, GptOssHyperParameters.FromGguf(file)));
        Assert.Contains("blk.0.attn_sinks.weight", e.Field);
        Assert.Contains("{2}", e.Message);
        Assert.Contains("{4}", e.Message);
    }

    // The tiny model with tensors dropped (null) or given a smaller shape (their data cut to fit).
    private static GgufFile Rewrite(Func<GgufTensorInfo, long[]?> shape)
    {
        using var source = GgufFile.Open(TestModels.Tiny);
        var writer = new GgufWriter();
        foreach (var (key, value) in source.MetadataEntries) writer.Add(key, value);
        foreach (var t in source.Tensors)
        {
            if (shape(t) is not { } dims) continue;
            var bytes = GgmlTypeInfo.Get(t.Type).RowBytes(dims[0]) * dims.Skip(1).Aggregate(1L, (a, d) => a * d);
            writer.AddTensor(t.Name, t.Type, dims, source.GetTensorSlice(t, 0, (int)bytes).ToArray());
        }
        using var memory = new MemoryStream();
        writer.WriteTo(memory);
        return GgufFile.FromBytes(memory.ToArray());
    }
}
