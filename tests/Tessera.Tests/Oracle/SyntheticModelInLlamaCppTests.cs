// The synthetic models load in llama.cpp like the real file: same vocabulary, same tokenization as the vocabulary we
// wrote says, and a forward pass with finite logits. Also: files written by llama.cpp's own GGUF writer read in Tessera.

using System.Text;
using LLama;
using LLama.Native;
using Microsoft.ML.Tokenizers;
using Tessera.Gguf;
using Tessera.Quants;
using Tessera.Tokenization;

namespace Tessera.Tests.Oracle;

public class SyntheticModelInLlamaCppTests
{
    [Fact]
    public void TinyModelLoadsWithItsShapeAndVocabulary()
    {
        using var weights = LlamaCpp.Load(TestModels.Tiny);
        Assert.Equal(201088, weights.Vocab.Count);
        Assert.Equal(64, weights.EmbeddingSize);
        Assert.Equal("gpt-oss", weights.Metadata["general.architecture"]);
        Assert.Equal("2", weights.Metadata["gpt-oss.block_count"]);
        Assert.Equal(200002, (int)weights.Vocab.EOS!.Value);
    }

    public static TheoryData<string> Texts() =>
    [
        "Hello world", "The quick brown fox jumps over the lazy dog.", "  leading spaces\tand tabs\n\nnew lines",
        "numbers 1234567 and 3.14159", "café naïve déjà vu", "日本語のテキスト", "中文分词测试", "مرحبا بالعالم",
        "emoji 👍🏽 👨‍👩‍👧‍👦", "def f(x):\n    return x**2  # square", "I'm sure they'll've done it",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void LlamaCppTokenizesLikeTheVocabularySays(string text)
    {
        using var weights = LlamaCpp.Load(TestModels.Tiny);
        var ids = weights.Tokenize(text, add_bos: false, special: false, Encoding.UTF8).Select(t => (int)t).ToArray();
        Assert.NotEmpty(ids);

        // The pieces are the byte-level strings we wrote; together they spell the text.
        var vocab = O200kHarmonyVocabulary.Load();
        var bytes = ids.SelectMany(id => ByteLevel.Decode(vocab.Tokens[id])).ToArray();
        Assert.Equal(text, Encoding.UTF8.GetString(bytes));

        // And they are o200k's own ids: the merges we derived make llama.cpp's BPE reproduce tiktoken's.
        // (llama.cpp's pre-tokenizer differs from tiktoken's for some non-ASCII text; facts §5. Compare where they agree by design.)
        if (text.All(char.IsAscii))
        {
            var tiktoken = TiktokenTokenizer.CreateForModel("gpt-4o");
            Assert.Equal(tiktoken.EncodeToIds(text), ids);
        }
    }

    [Fact]
    public void SpecialTokensAreSpecial()
    {
        using var weights = LlamaCpp.Load(TestModels.Tiny);
        var ids = weights.Tokenize("<|start|>user<|message|>Hi<|end|><|start|>assistant", false, true, Encoding.UTF8).Select(t => (int)t);
        Assert.Equal([200006, 1428, 200008, 12194, 200007, 200006, 173781], ids);
        var plain = weights.Tokenize("<|return|>", false, false, Encoding.UTF8).Select(t => (int)t).ToArray();
        Assert.DoesNotContain(200002, plain);   // a CONTROL token is not matched without parse_special
    }

    [Fact]
    public void ForwardPassGivesFiniteLogits()
    {
        using var weights = LlamaCpp.Load(TestModels.Tiny);
        using var context = weights.CreateContext(LlamaCpp.Params(TestModels.Tiny));
        var tokens = weights.Tokenize("<|start|>user<|message|>Tell me a story about a robot.<|end|><|start|>assistant", false, true, Encoding.UTF8);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, i == tokens.Length - 1);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1).ToArray();
        Assert.Equal(201088, logits.Length);
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        var mean = logits.Average();
        var std = Math.Sqrt(logits.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(std, 0.05, 50);   // neither collapsed nor exploding
    }

    [Fact]
    public void FilesWrittenByLlamaCppReadInTessera()
    {
        // llama.cpp's quantizer writes the whole file with ggml's own GGUF writer.
        var output = TestModels.TempPath("requantized-q8_0.gguf");
        LlamaCpp.EnsureLoaded();
        Assert.True(LLamaQuantizer.Quantize(TestModels.Tiny, output, LLamaFtype.MOSTLY_Q8_0, 1, allowRequantize: true, quantizeOutputTensor: true));
        using var ours = GgufFile.Open(TestModels.Tiny);
        using var theirs = GgufFile.Open(output);
        Assert.Equal(ours.Tensors.Select(t => t.Name).Order(), theirs.Tensors.Select(t => t.Name).Order());
        Assert.Equal(ours[GgufKeys.TokenizerMerges]!.AsArray<string>(), theirs[GgufKeys.TokenizerMerges]!.AsArray<string>());
        Assert.Equal(ours[GgufKeys.ChatTemplate]!.AsString(), theirs[GgufKeys.ChatTemplate]!.AsString());
        foreach (var t in theirs.Tensors)
        {
            var mine = ours.FindTensor(t.Name)!;
            Assert.Equal(mine.Dimensions, t.Dimensions);
            if (mine.Type == GgmlType.Q8_0 && t.Type == GgmlType.Q8_0)
                Assert.True(theirs.GetTensorData(t).SequenceEqual(ours.GetTensorData(mine)), $"{t.Name} changed");
        }
        Assert.Contains(theirs.Tensors, t => t.Type == GgmlType.MXFP4 || t.Type == GgmlType.Q8_0);
    }
}
