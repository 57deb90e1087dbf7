// Every GGUF metadata key Tessera reads or writes, in one table (names from llama.cpp src/llama-arch.cpp and
// gguf-py constants; gpt-oss-facts.md §2.1). Architecture keys are "{arch}.suffix": use Arch(arch, suffix).

namespace Tessera.Gguf;

/// <summary>GGUF metadata key names.</summary>
public static class GgufKeys
{
    public const string Architecture = "general.architecture";
    public const string Type = "general.type";
    public const string Name = "general.name";
    public const string Basename = "general.basename";
    public const string SizeLabel = "general.size_label";
    public const string License = "general.license";
    public const string Tags = "general.tags";
    public const string Alignment = "general.alignment";
    public const string QuantizationVersion = "general.quantization_version";
    public const string FileType = "general.file_type";

    // Architecture-scoped suffixes.
    public const string BlockCount = "block_count";
    public const string ContextLength = "context_length";
    public const string EmbeddingLength = "embedding_length";
    public const string FeedForwardLength = "feed_forward_length";
    public const string ExpertFeedForwardLength = "expert_feed_forward_length";
    public const string HeadCount = "attention.head_count";
    public const string HeadCountKv = "attention.head_count_kv";
    public const string KeyLength = "attention.key_length";
    public const string ValueLength = "attention.value_length";
    public const string LayerNormRmsEpsilon = "attention.layer_norm_rms_epsilon";
    public const string SlidingWindow = "attention.sliding_window";
    public const string SlidingWindowPattern = "attention.sliding_window_pattern";
    public const string ExpertCount = "expert_count";
    public const string ExpertUsedCount = "expert_used_count";
    public const string RopeFreqBase = "rope.freq_base";
    public const string RopeDimensionCount = "rope.dimension_count";
    public const string RopeScalingType = "rope.scaling.type";
    public const string RopeScalingFactor = "rope.scaling.factor";
    public const string RopeScalingOriginalContextLength = "rope.scaling.original_context_length";

    public const string TokenizerModel = "tokenizer.ggml.model";
    public const string TokenizerPre = "tokenizer.ggml.pre";
    public const string TokenizerTokens = "tokenizer.ggml.tokens";
    public const string TokenizerTokenType = "tokenizer.ggml.token_type";
    public const string TokenizerMerges = "tokenizer.ggml.merges";
    public const string TokenizerBosId = "tokenizer.ggml.bos_token_id";
    public const string TokenizerEosId = "tokenizer.ggml.eos_token_id";
    public const string TokenizerPaddingId = "tokenizer.ggml.padding_token_id";
    public const string TokenizerAddBos = "tokenizer.ggml.add_bos_token";
    public const string ChatTemplate = "tokenizer.chat_template";

    /// <summary>An architecture-scoped key, e.g. <c>Arch("gpt-oss", BlockCount)</c> = <c>gpt-oss.block_count</c>.</summary>
    public static string Arch(string architecture, string suffix) => architecture + "." + suffix;
}
