// Token counts of one request, in OpenAI's `usage` shape.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>Tokens read and written by one request.</summary>
public sealed record CompletionUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens)
{
    /// <summary>How many prompt tokens came from the cache (OpenAI's <c>prompt_tokens_details.cached_tokens</c>).</summary>
    [JsonPropertyName("prompt_tokens_details")]
    public PromptTokensDetails? PromptTokensDetails { get; init; }

    /// <summary>Prompt plus completion.</summary>
    [JsonPropertyName("total_tokens")]
    public int TotalTokens => PromptTokens + CompletionTokens;
}
