// Our forward pass against llama.cpp's on synthetic models of three shapes (ggml-org's types: Q8_0 matrices, MXFP4 experts,
// F32 router), over a prompt of 290 tokens that crosses the 128-token sliding window: logits of every position must agree
// within the tolerances (relative RMS error ≤ 2%, top-1 agreement ≥ 95% everywhere and ≥ 99% where llama.cpp's
// choice is clear). With ExactAttention Tessera reproduces ggml-cpu's arithmetic, so on an x86 machine the logits are in
// fact bit-identical to llama.cpp's one-chunk attention path; the figures against its default tiled path, and those of
// Tessera's default fast attention against the one-chunk path, are printed for reference.

using System.Diagnostics;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Synthetic;

namespace Tessera.Tests.GptOss;

public class GptOssLlamaCppComparisonTests
{
    public static TheoryData<string> Shapes() => ["tiny-seed1", "3-layer-seed2", "4-layer-seed3"];

    internal static string Model(string shape) => shape switch
    {
        "tiny-seed1" => TestModels.Tiny,
        // 3 layers, 8 heads over 2 KV heads of 16, 8 experts, top 4.
        "3-layer-seed2" => TestModels.Make("gpt-oss-3-layer-seed2.gguf", new SyntheticGptOssOptions
        {
            Seed = 2,
            HyperParameters = GptOssHyperParameters.Tiny with
            {
                BlockCount = 3, EmbeddingLength = 128, HeadCount = 8, HeadCountKv = 2, KeyLength = 16, ValueLength = 16,
                ExpertCount = 8, ExpertUsedCount = 4, ExpertFeedForwardLength = 96, FeedForwardLength = 96,
            },
        }),
        // 4 layers, 6 heads over 2 KV heads of 64 (the real head size: YaRN ramp 8..18), 16 experts, top 4.
        "4-layer-seed3" => TestModels.Make("gpt-oss-4-layer-seed3.gguf", new SyntheticGptOssOptions
        {
            Seed = 3,
            HyperParameters = GptOssHyperParameters.Tiny with
            {
                BlockCount = 4, EmbeddingLength = 96, HeadCount = 6, HeadCountKv = 2, KeyLength = 64, ValueLength = 64,
                ExpertCount = 16, ExpertUsedCount = 4, ExpertFeedForwardLength = 64, FeedForwardLength = 64,
            },
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LogitsOfEveryPositionMatchLlamaCpp(string shape)
    {
        var path = Model(shape);
        var tokens = GptOssLlamaCppLogits.Tokenize(path, GptOssLlamaCppLogits.Paragraph);
        Assert.InRange(tokens.Length, 200, 400);

        var clock = Stopwatch.StartNew();
        var ours = LogitsDump.Evaluate(path, tokens, new GptOssPredictorOptions { ExactAttention = true }, TestContext.Current.CancellationToken);
        var oursTime = clock.Elapsed;
        var fast = LogitsDump.Evaluate(path, tokens, cancellationToken: TestContext.Current.CancellationToken);
        clock.Restart();
        var agreement = new GptOssLogitsAgreement();
        GptOssLlamaCppLogits.ForEachPosition(path, tokens, (i, theirs) => agreement.Add(ours.Row(i), theirs));
        var theirsTime = clock.Elapsed;
        var fastAgreement = new GptOssLogitsAgreement();
        GptOssLlamaCppLogits.ForEachPosition(path, tokens, (i, theirs) => fastAgreement.Add(fast.Row(i), theirs));
        var tiled = new GptOssLogitsAgreement();
        GptOssLlamaCppLogits.ForEachPosition(path, tokens, (i, theirs) => tiled.Add(ours.Row(i), theirs), ubatch: 512);

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{shape}, {tokens.Length} tokens; Tessera {oursTime.TotalSeconds:F2} s, llama.cpp {theirsTime.TotalSeconds:F2} s");
        output?.WriteLine($"  vs llama.cpp n_ubatch 32 (one-chunk attention): {agreement}");
        output?.WriteLine($"  vs llama.cpp n_ubatch 512 (tiled attention, not asserted): {tiled}");
        output?.WriteLine($"  Tessera's fast attention vs llama.cpp n_ubatch 32 (not asserted): {fastAgreement}");
        Assert.True(agreement.RelativeRmsError <= 0.02, agreement.ToString());
        Assert.True(agreement.Top1Agreement >= 0.95, agreement.ToString());
        Assert.True(agreement.ConfidentTop1Agreement >= 0.99, agreement.ToString());
    }
}
