// The weights of one gpt-oss transformer block, named as GGUF names them (gpt-oss-facts.md §2.2). Shapes are ggml's
// {ne0 = input, ne1 = output, ne2 = expert}; d = head size (key_length), E = experts, n_ff = expert FFN width.

using Tessera.Backends;

namespace Tessera.Models.GptOss;

/// <summary>Weights of block <c>blk.N</c>.</summary>
public sealed class GptOssLayerWeights
{
    public required WeightTensor AttnNorm { get; init; }        // {n_embd} F32
    public required WeightTensor AttnQ { get; init; }           // {n_embd, n_head·d}
    public required WeightTensor AttnQBias { get; init; }       // {n_head·d} F32
    public required WeightTensor AttnK { get; init; }           // {n_embd, n_head_kv·d}
    public required WeightTensor AttnKBias { get; init; }       // {n_head_kv·d} F32
    public required WeightTensor AttnV { get; init; }           // {n_embd, n_head_kv·d}
    public required WeightTensor AttnVBias { get; init; }       // {n_head_kv·d} F32
    public required WeightTensor AttnOutput { get; init; }      // {n_head·d, n_embd}
    public required WeightTensor AttnOutputBias { get; init; }  // {n_embd} F32
    public required WeightTensor AttnSinks { get; init; }       // {n_head} F32, raw logits
    public required WeightTensor PostAttentionNorm { get; init; } // {n_embd} F32, the pre-MoE norm
    public required WeightTensor FfnGateInp { get; init; }      // {n_embd, E} router
    public required WeightTensor FfnGateInpBias { get; init; }  // {E} F32
    public required WeightTensor FfnGateExps { get; init; }     // {n_embd, n_ff, E}
    public required WeightTensor FfnGateExpsBias { get; init; } // {n_ff, E} F32
    public required WeightTensor FfnUpExps { get; init; }       // {n_embd, n_ff, E}
    public required WeightTensor FfnUpExpsBias { get; init; }   // {n_ff, E} F32
    public required WeightTensor FfnDownExps { get; init; }     // {n_ff, n_embd, E}
    public required WeightTensor FfnDownExpsBias { get; init; } // {n_embd, E} F32

    /// <summary>[AttnQ, AttnK, AttnV]: the projections of one input, for <see cref="IBackend.MatMulMany"/>.</summary>
    public WeightTensor[] AttnQkv => field ??= [AttnQ, AttnK, AttnV];

    public WeightTensor[] AttnQkvBias => field ??= [AttnQBias, AttnKBias, AttnVBias];

    /// <summary>[FfnGateExps, FfnUpExps]: the expert products of one input, for <see cref="IBackend.MatMulExpertsMany"/>.</summary>
    public WeightTensor[] FfnGateUpExps => field ??= [FfnGateExps, FfnUpExps];
}
