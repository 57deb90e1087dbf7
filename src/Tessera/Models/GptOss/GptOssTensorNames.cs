// GGUF tensor names of the gpt-oss architecture (llama.cpp src/llama-arch.cpp; gpt-oss-facts.md §2.2), in one table.
// Names follow GGUF's vocabulary so that a `tessera inspect` dump greps straight to the code.

namespace Tessera.Models.GptOss;

/// <summary>Tensor names of a gpt-oss GGUF.</summary>
public static class GptOssTensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";

    public const string AttnNorm = "attn_norm.weight";
    public const string AttnQ = "attn_q.weight";
    public const string AttnQBias = "attn_q.bias";
    public const string AttnK = "attn_k.weight";
    public const string AttnKBias = "attn_k.bias";
    public const string AttnV = "attn_v.weight";
    public const string AttnVBias = "attn_v.bias";
    public const string AttnOutput = "attn_output.weight";
    public const string AttnOutputBias = "attn_output.bias";
    public const string AttnSinks = "attn_sinks.weight";
    public const string PostAttentionNorm = "post_attention_norm.weight";
    public const string FfnGateInp = "ffn_gate_inp.weight";
    public const string FfnGateInpBias = "ffn_gate_inp.bias";
    public const string FfnGateExps = "ffn_gate_exps.weight";
    public const string FfnGateExpsBias = "ffn_gate_exps.bias";
    public const string FfnUpExps = "ffn_up_exps.weight";
    public const string FfnUpExpsBias = "ffn_up_exps.bias";
    public const string FfnDownExps = "ffn_down_exps.weight";
    public const string FfnDownExpsBias = "ffn_down_exps.bias";

    /// <summary>Name of a per-layer tensor: <c>Block(3, AttnQ)</c> = <c>blk.3.attn_q.weight</c>.</summary>
    public static string Block(int layer, string name) => $"blk.{layer}.{name}";
}
