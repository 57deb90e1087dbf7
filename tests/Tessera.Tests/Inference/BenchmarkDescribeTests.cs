// The model column of `tessera bench`, as llama-bench fills it: architecture, size class and the file's quantisation
// (named as `tessera list` names it), never a bare "?".

using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera.Tests.Inference;

public class BenchmarkDescribeTests
{
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
