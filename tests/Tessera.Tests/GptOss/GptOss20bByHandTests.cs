// The logits comparison on the full gpt-oss-20b synthetic shape (12.1 GB): by hand, not in CI.
//   tessera make-test-model --preset gpt-oss-20b -o /path/gpt-oss-20b-synth.gguf
//   TESSERA_GPT_OSS_20B=/path/gpt-oss-20b-synth.gguf dotnet test tests/Tessera.Tests -c Release --filter GptOss20b
// TESSERA_GPT_OSS_20B_TOKENS sets the prompt length (default 140: past the 128-token window).

using System.Diagnostics;
using Tessera.Inference;
using Tessera.Models.GptOss;

namespace Tessera.Tests.GptOss;

public class GptOss20bByHandTests
{
    [Fact]
    public void TwentyBLogitsMatchLlamaCpp()
    {
        var path = Environment.GetEnvironmentVariable("TESSERA_GPT_OSS_20B");
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
            Assert.Skip("set TESSERA_GPT_OSS_20B to a synthetic gpt-oss-20b GGUF to run this");
        var count = int.TryParse(Environment.GetEnvironmentVariable("TESSERA_GPT_OSS_20B_TOKENS"), out var n) ? n : 140;
        var tokens = GptOssLlamaCppLogits.Tokenize(path, GptOssLlamaCppLogits.Paragraph)[..count];
        var output = TestContext.Current.TestOutputHelper;

        var clock = Stopwatch.StartNew();
        LogitsDump ours;
        using (var predictor = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = 512, ExactAttention = true }))
        {
            output?.WriteLine($"opened in {clock.Elapsed.TotalSeconds:F1} s ({predictor.Model.Backend.Name})");
            clock.Restart();
            ours = LogitsDump.Evaluate(predictor, tokens, TestContext.Current.CancellationToken);
        }
        var oursTime = clock.Elapsed;
        clock.Restart();
        var agreement = new GptOssLogitsAgreement();
        GptOssLlamaCppLogits.ForEachPosition(path, tokens, (i, theirs) => agreement.Add(ours.Row(i), theirs));
        var theirsTime = clock.Elapsed;

        output?.WriteLine($"gpt-oss-20b synthetic, {tokens.Length} tokens: Tessera {oursTime.TotalSeconds:F1} s " +
            $"({tokens.Length / oursTime.TotalSeconds:F2} tok/s), llama.cpp n_ubatch 32 {theirsTime.TotalSeconds:F1} s (load included)");
        output?.WriteLine($"  {agreement}");
        Assert.True(agreement.RelativeRmsError <= 0.02, agreement.ToString());
        Assert.True(agreement.Top1Agreement >= 0.95, agreement.ToString());
        Assert.True(agreement.ConfidentTop1Agreement >= 0.99, agreement.ToString());
    }
}
