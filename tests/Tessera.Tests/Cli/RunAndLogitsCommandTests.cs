// `tessera run` answers and prints the timings; `tessera logits` writes [tokens × vocabulary] float32 that match the
// library's own evaluation of the same prompt.

using System.Runtime.InteropServices;
using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Tokenization;

namespace Tessera.Tests.Cli;

public class RunAndLogitsCommandTests
{
    [Fact]
    public void ZeroTokensSaysSo()
    {
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hello!", "-n", "0", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("nothing was generated: the token limit is 0", err);
        Assert.True(string.IsNullOrWhiteSpace(output), output);
    }

    [Fact]
    public void RunPrintsAnAnswerAndTheTimings()
    {
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hello!", "-n", "12", "--seed", "5", "--temp", "0.8");
        Assert.True(code == 0, err);
        Assert.Contains("answer", err);             // random weights: the model writes no harmony header, so it is all answer
        Assert.DoesNotContain("answer", output);    // stdout holds the answer's text alone, so it pipes
        Assert.False(string.IsNullOrWhiteSpace(output));
        Assert.Contains("stopped at the token limit", err);
        Assert.Contains("prompt eval time", err);
        Assert.Contains("eval time", err);
        Assert.Contains("/    11 runs", err);
    }

    [Fact]
    public void RunWithoutPromptIsOneLine()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny);
        Assert.Equal(1, code);
        Assert.Contains("give a prompt", err);
    }

    [Fact]
    public void RunRefusesAContextLargerThanTheModels()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "hi", "--ctx-size", "1000000");
        Assert.Equal(1, code);
        Assert.Contains("training context", err);
    }

    [Fact]
    public void LogitsFileHasOneRowPerToken()
    {
        var output = TestModels.TempPath("logits.bin");
        var ids = TestModels.TempPath("ids.txt");
        var (code, stdout, err) = CliRunner.Run("logits", "-m", TestModels.Tiny, "-p", "<|start|>user<|message|>Hi there", "-o", output, "--ids-out", ids);
        Assert.True(code == 0, err);
        var tokens = File.ReadAllLines(ids).Select(int.Parse).ToArray();
        Assert.Equal(5, tokens.Length);
        var bytes = File.ReadAllBytes(output);
        Assert.Equal(tokens.Length * 201088L * 4, bytes.Length);
        Assert.Contains("[5 tokens × 201088]", stdout);

        // Row i is the prediction after token i: the library's last-token logits equal the file's last row.
        var last = new float[201088];
        using (var model = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions { ContextSize = 64 }))
        {
            using var file = GgufFile.Open(TestModels.Tiny);
            Assert.Equal(tokens, GgufTokenizer.Load(file).Encode("<|start|>user<|message|>Hi there", true));
        }
        using var predictor = Models.GptOss.GptOssPredictor.Open(TestModels.Tiny, new() { ContextSize = 64 });
        predictor.Evaluate(tokens, last, TestContext.Current.CancellationToken);
        var rows = MemoryMarshal.Cast<byte, float>(bytes);
        Assert.Equal(last, rows[^201088..].ToArray());
    }
}
