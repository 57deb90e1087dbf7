// What a request gets for the generation fields it leaves out: llama-server's -n, --temp, --top-p, --top-k, --seed, the
// reasoning effort and the reasoning budget given when the server starts. A field the request sets always wins.

using Tessera.Chat.Harmony;
using Tessera.Inference;

namespace Tessera.Server;

/// <summary>Defaults for the fields of a chat or text completion request that the request does not set.</summary>
public sealed record GenerationDefaults
{
    /// <summary>Most tokens to generate (<c>max_tokens</c>); null: until the context is full.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling: temperature, top_p, top_k, min_p, penalties and the seed (null seed: a random one per request).</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Reasoning effort of chat requests (<c>reasoning_effort</c>); default medium.</summary>
    public ReasoningEffort ReasoningEffort { get; init; } = ReasoningEffort.Medium;

    /// <summary>Most tokens a chat reply may spend in the analysis channel before its answer is forced to begin
    /// (<c>max_reasoning_tokens</c>); null (default) leaves it to the model.</summary>
    public int? MaxReasoningTokens { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (MaxTokens is < 0) throw new ArgumentException($"the default token limit must not be negative (got {MaxTokens})");
        if (MaxReasoningTokens is < 0) throw new ArgumentException($"the default reasoning budget must not be negative (got {MaxReasoningTokens})");
        Sampling.Validate();
    }
}
