// The model column of `tessera bench`, as llama-bench fills it: architecture, size class and llama.cpp's name of the
// GGUF's file type (llama_model_ftype_name), never a bare "?".

using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera.Tests.Inference;

public class BenchmarkDescribeTests
{
    [Theory]
    [InlineData(0u, "all F32")]
    [InlineData(1u, "F16")]
    [InlineData(7u, "Q8_0")]
    [InlineData(15u, "Q4_K - Medium")]
    [InlineData(32u, "BF16")]
    [InlineData(38u, "MXFP4 MoE")]
    [InlineData(1024u + 7u, "Q8_0 (guessed)")]
    [InlineData(99u, "unknown, may not work")]
    public void FileTypesHaveLlamaCppsNames(uint fileType, string name) => Assert.Equal(name, Benchmark.FileTypeName(fileType));

    [Fact]
    public void TheDescriptionNamesTheFileType()
    {
        Assert.EndsWith(" MXFP4 MoE", Benchmark.Describe(TestModels.Tiny).Description);
        var f16Experts = TestModels.Make("tiny-f16-experts-q8-matrices.gguf",
            new() { HyperParameters = GptOssHyperParameters.Tiny, Seed = 3, ExpertType = GgmlType.F16, MatrixType = GgmlType.Q8_0 });
        var (description, size, parameters) = Benchmark.Describe(f16Experts);
        Assert.StartsWith("gpt-oss ", description);
        Assert.EndsWith(" Q8_0", description);
        Assert.DoesNotContain("?", description);
        Assert.True(size > 0 && parameters > 0);
    }
}
