// `tessera inspect`: tables and JSON for a good file; one line on stderr and exit code 1 for every kind of broken file.

using System.Text.Json;
using Tessera.Tests.Gguf;

namespace Tessera.Tests.Cli;

public class InspectCommandTests
{
    [Fact]
    public void ShowsArchitectureHyperparametersTokenizerTemplateAndTensors()
    {
        var (code, output, err) = CliRunner.Run("inspect", TestModels.Tiny);
        Assert.Equal(0, code);
        Assert.Empty(err);
        Assert.Contains("architecture: gpt-oss", output);
        Assert.Contains("gpt-oss.expert_count", output);
        Assert.Contains("gpt2", output);
        Assert.Contains("gpt-4o", output);
        Assert.Contains("446189", output);
        Assert.Contains("200002 <|return|>", output);
        Assert.Contains("chat template: present", output);
        Assert.Contains("blk.1.ffn_down_exps.weight", output);
        Assert.Contains("{64, 64, 4}", output);
        Assert.Contains("MXFP4", output);
        Assert.Contains("totals by type", output);
    }

    [Fact]
    public void JsonHasEveryTensorAndTotals()
    {
        var (code, output, _) = CliRunner.Run("inspect", TestModels.Tiny, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("gpt-oss", root.GetProperty("architecture").GetString());
        Assert.Equal(41, root.GetProperty("tensor_count").GetInt32());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(41, tensors.Count);
        var embd = tensors.Single(t => t.GetProperty("name").GetString() == "token_embd.weight");
        Assert.Equal([64L, 201088L], embd.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("Q8_0", embd.GetProperty("type").GetString());
        Assert.Equal(201088L * 68, embd.GetProperty("bytes").GetInt64());
        Assert.Equal(2, root.GetProperty("metadata").GetProperty("gpt-oss.block_count").GetInt32());
        Assert.Equal(446189, root.GetProperty("metadata").GetProperty("tokenizer.ggml.merges").GetProperty("count").GetInt32());
        Assert.True(root.GetProperty("chat_template").GetProperty("present").GetBoolean());
        Assert.Equal(root.GetProperty("total_bytes").GetInt64(), root.GetProperty("totals").EnumerateArray().Sum(t => t.GetProperty("bytes").GetInt64()));
    }

    public static TheoryData<string, byte[]> BrokenFiles()
    {
        var valid = new MemoryStream();
        GgufRoundTripTests.SampleWriter().WriteTo(valid);
        var bytes = valid.ToArray();
        return new()
        {
            { "empty", [] },
            { "not gguf", "PK\x03\x04 a zip file"u8.ToArray() },
            { "truncated header", bytes[..20] },
            { "truncated metadata", bytes[..200] },
            { "truncated data", bytes[..^40] },
            { "version 1", new RawGguf().Header(0, 0, version: 1).ToArray() },
            { "huge string", new RawGguf().Header(0, 1).Str("k").U32(8).U64(1UL << 60).ToArray() },
            { "huge array", new RawGguf().Header(0, 1).Str("k").U32(9).U32(4).U64(1UL << 60).ToArray() },
            { "duplicate key", new RawGguf().Header(0, 2).KvU32("a", 1).KvU32("a", 2).ToArray() },
            { "unknown tensor type", new RawGguf().Header(1, 0).Tensor("t", 1234, 0, 32).Align().Zeros(128).ToArray() },
            { "shape overflow", new RawGguf().Header(1, 0).Tensor("t", 0, 0, 1UL << 40, 1UL << 40).Align().ToArray() },
            { "tensor outside file", new RawGguf().Header(1, 0).Tensor("t", 0, 64, 8).Align().Zeros(8).ToArray() },
            { "misaligned tensor", new RawGguf().Header(1, 0).Tensor("t", 0, 8, 2).Align().Zeros(64).ToArray() },
            { "overlapping tensors", new RawGguf().Header(2, 0).Tensor("a", 0, 0, 64).Tensor("b", 0, 128, 64).Align().Zeros(512).ToArray() },
            { "duplicate tensor", new RawGguf().Header(2, 0).Tensor("a", 0, 0, 8).Tensor("a", 0, 32, 8).Align().Zeros(64).ToArray() },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void BrokenFileIsOneLineAndExitCodeOne(string kind, byte[] bytes)
    {
        var path = TestModels.TempPath(kind.Replace(' ', '-') + ".gguf");
        File.WriteAllBytes(path, bytes);
        foreach (var json in new[] { false, true })
        {
            var (code, output, err) = json ? CliRunner.Run("inspect", path, "--json") : CliRunner.Run("inspect", path);
            Assert.Equal(1, code);
            Assert.Empty(output);
            Assert.StartsWith("error: ", err);
            Assert.Single(err.TrimEnd().Split('\n'));
            Assert.DoesNotContain("   at ", err);
        }
    }

    [Fact]
    public void MissingFileIsOneLine()
    {
        var (code, _, err) = CliRunner.Run("inspect", "/nonexistent/model.gguf");
        Assert.Equal(1, code);
        Assert.Equal("error: file not found: /nonexistent/model.gguf (tessera list shows the models on this machine and their names)", err.TrimEnd());
    }
}
