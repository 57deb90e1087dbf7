// The full gpt-oss-20b synthetic shape (12.1 GB) in llama.cpp, run by hand: too large for CI.
//   tessera make-test-model --preset gpt-oss-20b -o /path/gpt-oss-20b-synth.gguf
//   TESSERA_GPT_OSS_20B=/path/gpt-oss-20b-synth.gguf dotnet test tests/Tessera.Tests -c Release --filter FullSizeModel

using System.Text;
using LLama.Native;
using Tessera.Gguf;
using Tessera.Models.GptOss;

namespace Tessera.Tests.Oracle;

public class FullSizeModelTests
{
    private static string Path20b()
    {
        var path = Environment.GetEnvironmentVariable("TESSERA_GPT_OSS_20B");
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
            Assert.Skip("set TESSERA_GPT_OSS_20B to a synthetic gpt-oss-20b GGUF to run this");
        return path;
    }

    [Fact]
    public void TwentyBLoadsInLlamaCppLikeTheRealFile()
    {
        var path = Path20b();
        using (var f = GgufFile.Open(path))
        {
            Assert.InRange(f.FileSize, 12.1e9 * 0.99, 12.1e9 * 1.01);
            Assert.Equal(459, f.Tensors.Count);
            Assert.Equal(35, f.MetadataEntries.Count);
            Assert.Equal(GptOssHyperParameters.Gpt20b, GptOssHyperParameters.FromGguf(f));
        }
        using var weights = LlamaCpp.Load(path, contextSize: 256);
        Assert.Equal(201088, weights.Vocab.Count);
        Assert.Equal(2880, weights.EmbeddingSize);
        Assert.InRange(weights.ParameterCount, 20.5e9, 21.5e9);   // llama.cpp counts 20.91 B for the real file
        Assert.Equal("24", weights.Metadata["gpt-oss.block_count"]);

        using var context = weights.CreateContext(LlamaCpp.Params(path, 256));
        var tokens = weights.Tokenize("<|start|>user<|message|>Hello!<|end|><|start|>assistant", false, true, Encoding.UTF8);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, i == tokens.Length - 1);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        Assert.All(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1).ToArray(), x => Assert.True(float.IsFinite(x)));
    }
}
