// The tensor table of gpt-oss (gpt-oss-facts.md §2.2): names, shapes {ne0 = input, ne1 = output, ne2 = expert} and the
// types of ggml-org's gpt-oss-*-mxfp4.gguf (Q8_0 matrices, MXFP4 experts, F32 router, norms, biases and sinks),
// listed in forward order: embedding, then per layer attention and MoE, then output norm and head.

using Tessera.Quants;
using static Tessera.Models.GptOss.GptOssTensorNames;

namespace Tessera.Models.GptOss;

/// <summary>The tensors a gpt-oss GGUF holds, for given hyperparameters.</summary>
public static class GptOssLayout
{
    /// <summary>Every tensor in forward order. <paramref name="matrixType"/> is used for the embedding, attention and
    /// output matrices, <paramref name="expertType"/> for the three expert tensors of each layer.</summary>
    public static IReadOnlyList<GptOssTensorSpec> Tensors(GptOssHyperParameters hp, GgmlType matrixType = GgmlType.Q8_0, GgmlType expertType = GgmlType.MXFP4)
    {
        hp.Validate();
        long embd = hp.EmbeddingLength, vocab = hp.VocabularySize, q = hp.HeadCount * hp.KeyLength, kv = hp.HeadCountKv * hp.KeyLength;
        long experts = hp.ExpertCount, ff = hp.ExpertFeedForwardLength;
        var list = new List<GptOssTensorSpec> { new(TokenEmbedding, [embd, vocab], matrixType, GptOssTensorRole.Embedding) };
        for (var il = 0; il < hp.BlockCount; il++)
        {
            GptOssTensorSpec T(string name, long[] dims, GgmlType type, GptOssTensorRole role) => new(Block(il, name), dims, type, role);
            list.AddRange(
            [
                T(AttnNorm, [embd], GgmlType.F32, GptOssTensorRole.Norm),
                T(AttnQ, [embd, q], matrixType, GptOssTensorRole.Matrix),
                T(AttnQBias, [q], GgmlType.F32, GptOssTensorRole.Bias),
                T(AttnK, [embd, kv], matrixType, GptOssTensorRole.Matrix),
                T(AttnKBias, [kv], GgmlType.F32, GptOssTensorRole.Bias),
                T(AttnV, [embd, kv], matrixType, GptOssTensorRole.Matrix),
                T(AttnVBias, [kv], GgmlType.F32, GptOssTensorRole.Bias),
                T(AttnOutput, [q, embd], matrixType, GptOssTensorRole.Matrix),
                T(AttnOutputBias, [embd], GgmlType.F32, GptOssTensorRole.Bias),
                T(AttnSinks, [hp.HeadCount], GgmlType.F32, GptOssTensorRole.Sinks),
                T(PostAttentionNorm, [embd], GgmlType.F32, GptOssTensorRole.Norm),
                T(FfnGateInp, [embd, experts], GgmlType.F32, GptOssTensorRole.Matrix),
                T(FfnGateInpBias, [experts], GgmlType.F32, GptOssTensorRole.Bias),
                T(FfnGateExps, [embd, ff, experts], expertType, GptOssTensorRole.Matrix),
                T(FfnGateExpsBias, [ff, experts], GgmlType.F32, GptOssTensorRole.Bias),
                T(FfnUpExps, [embd, ff, experts], expertType, GptOssTensorRole.Matrix),
                T(FfnUpExpsBias, [ff, experts], GgmlType.F32, GptOssTensorRole.Bias),
                T(FfnDownExps, [ff, embd, experts], expertType, GptOssTensorRole.Matrix),
                T(FfnDownExpsBias, [embd, experts], GgmlType.F32, GptOssTensorRole.Bias),
            ]);
        }
        list.Add(new(OutputNorm, [embd], GgmlType.F32, GptOssTensorRole.Norm));
        list.Add(new(Output, [embd, vocab], matrixType, GptOssTensorRole.Matrix));
        return list;
    }
}
