// `tessera make-test-model`: presets and overrides, same seed same bytes (today and as first written), clear errors for
// impossible shapes.

using Tessera.Gguf;
using Tessera.Models.GptOss;

namespace Tessera.Tests.Cli;

public class MakeTestModelCommandTests
{
    [Fact]
    public void SameSeedSameBytesOtherSeedOtherWeights()
    {
        string Make(ulong seed)
        {
            var path = TestModels.TempPath($"seed{seed}.gguf");
            var (code, output, err) = CliRunner.Run("make-test-model", "--preset", "tiny", "--seed", seed.ToString(), "-o", path);
            Assert.True(code == 0, err);
            Assert.Contains("wrote", output);
            return path;
        }
        var a = File.ReadAllBytes(Make(7));
        var b = File.ReadAllBytes(Make(7));
        var c = File.ReadAllBytes(Make(8));
        Assert.Equal(a, b);
        Assert.Equal(a.Length, c.Length);
        Assert.NotEqual(a, c);
    }

    // Synthetic models are named by preset and seed in docs and measurements, so a change to the generator must not
    // change the weights it draws: these are the SHA-256s of the tensor data as first written (the metadata may change).
    [Theory]
    [InlineData("q8_0", "mxfp4", "c9a3118530bbb24d860d70f3c7a910051979a09cc3108896ac973259c38cc0c7")]
    [InlineData("f16", "bf16", "db43210aa22a8e907f36414288d8cdc5f2e452a4c1a0c736ddc9a851043849c5")]
    public void TheSameSeedDrawsTheSameWeightsAsBefore(string matrixType, string expertType, string sha256)
    {
        var path = TestModels.TempPath($"pinned-{matrixType}-{expertType}.gguf");
        var (code, _, err) = CliRunner.Run("make-test-model", "--preset", "tiny", "--seed", "5", "--matrix-type", matrixType,
            "--expert-type", expertType, "-o", path);
        Assert.True(code == 0, err);
        long dataOffset;
        using (var f = GgufFile.Open(path)) dataOffset = f.DataOffset;
        using var stream = File.OpenRead(path);
        stream.Position = dataOffset;
        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)));
    }

    [Theory]
    [InlineData("uniform", "routing: uniform")]
    [InlineData("Skewed", "routing: skewed, the hottest 1/2/3 of 4 experts take")]
    public void RoutingIsChosenAndReported(string routing, string line)
    {
        var path = TestModels.TempPath($"routing-{routing}.gguf");
        var (code, output, err) = CliRunner.Run("make-test-model", "--preset", "tiny", "--routing", routing, "-o", path);
        Assert.True(code == 0, err);
        Assert.Contains(line, output);
        using var f = GgufFile.Open(path);
        Assert.Equal(routing == "Skewed", f[GgufKeys.Name]!.AsString().Contains("skewed routing"));
    }

    [Fact]
    public void OverridesChangeTheShape()
    {
        var path = TestModels.TempPath("custom.gguf");
        var (code, _, err) = CliRunner.Run("make-test-model", "--preset", "tiny", "--layers", "3", "--embd", "96", "--experts", "6",
            "--experts-used", "3", "--heads", "6", "--kv-heads", "3", "--head-dim", "16", "--ff", "32", "--seed", "3", "-o", path);
        Assert.True(code == 0, err);
        using var f = GgufFile.Open(path);
        var hp = GptOssHyperParameters.FromGguf(f);
        Assert.Equal((3, 96, 6, 3, 6, 3, 16, 32), (hp.BlockCount, hp.EmbeddingLength, hp.ExpertCount, hp.ExpertUsedCount, hp.HeadCount, hp.HeadCountKv, hp.KeyLength, hp.ExpertFeedForwardLength));
        Assert.Equal([96L, 32, 6], f.FindTensor("blk.2.ffn_up_exps.weight")!.Dimensions);
        Assert.Equal(3 * 19 + 3, f.Tensors.Count);
    }

    [Fact]
    public void TwentyBPresetHasTheRealLayoutAndSize()
    {
        var writer = Tessera.Synthetic.SyntheticGptOss.CreateWriter(new() { HyperParameters = GptOssHyperParameters.Gpt20b });
        var size = writer.ComputeFileSize();
        Assert.InRange(size, 12.1e9 * 0.99, 12.1e9 * 1.01);
        var layout = GptOssLayout.Tensors(GptOssHyperParameters.Gpt20b);
        Assert.Equal(459, layout.Count);
        Assert.Equal(289, layout.Count(t => t.Type == Tessera.Quants.GgmlType.F32));
        Assert.Equal(98, layout.Count(t => t.Type == Tessera.Quants.GgmlType.Q8_0));
        Assert.Equal(72, layout.Count(t => t.Type == Tessera.Quants.GgmlType.MXFP4));
        Assert.Equal(141_004_800, layout.Single(t => t.Name == "blk.0.ffn_gate_exps.weight").ByteSize);
    }

    [Theory]
    [InlineData("--preset", "huge", "unknown preset")]
    [InlineData("--embd", "100", "multiple of 32")]
    [InlineData("--heads", "3", "multiple of head_count_kv")]
    [InlineData("--experts-used", "9", "expert_used_count")]
    [InlineData("--matrix-type", "q4_k", "synthetic weights can be")]
    [InlineData("--expert-type", "nonsense", "unknown type")]
    [InlineData("--routing", "zipf", "--routing: unknown routing \"zipf\" (uniform or skewed)")]
    public void ImpossibleShapesAreRefusedInOneLine(string option, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("make-test-model", option, value, "-o", TestModels.TempPath("bad.gguf"));
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
