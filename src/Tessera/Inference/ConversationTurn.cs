// One turn of the scripted conversation benchmark: what the prompt cost and how much of it came from the cache.

using System.Text.Json.Serialization;

namespace Tessera.Inference;

/// <summary>The measurements of one turn of <see cref="ConversationBenchmark"/>.</summary>
public sealed record ConversationTurn
{
    /// <summary>1 for the first user message.</summary>
    [JsonPropertyName("turn")] public required int Turn { get; init; }

    /// <summary>Tokens of the whole prompt (the conversation so far, rendered in harmony).</summary>
    [JsonPropertyName("prompt_tokens")] public required int PromptTokens { get; init; }

    /// <summary>Prompt tokens taken from the cache (usage.prompt_tokens_details.cached_tokens).</summary>
    [JsonPropertyName("cached_tokens")] public required int CachedTokens { get; init; }

    /// <summary>Prompt tokens evaluated.</summary>
    [JsonPropertyName("evaluated_tokens")] public required int EvaluatedTokens { get; init; }

    /// <summary>What a cache that reuses everything up to the first difference must evaluate: the prompt after the prefix
    /// it shares with the previous prompt and reply as the model generated them (the new user message and what harmony
    /// renders differently from what was generated: the answer, without the reasoning), plus the last prompt token, which
    /// is always evaluated again for its logits.</summary>
    [JsonPropertyName("new_tokens")] public required int NewTokens { get; init; }

    /// <summary>From the request to the first generated token: rendering, tokenizing, evaluating the prompt, sampling.</summary>
    [JsonPropertyName("ttft_ms")] public required double TimeToFirstTokenMs { get; init; }

    /// <summary>Time spent evaluating the prompt tokens.</summary>
    [JsonPropertyName("prompt_eval_ms")] public required double PromptEvalMs { get; init; }

    /// <summary>Tokens of the scripted reply put into the cache after the first token, as generation would.</summary>
    [JsonPropertyName("reply_tokens")] public required int ReplyTokens { get; init; }

    /// <summary>Time to evaluate the scripted reply (in batches, unlike generation, which takes one token at a time).</summary>
    [JsonPropertyName("reply_eval_ms")] public required double ReplyEvalMs { get; init; }
}
