// How the prompt tokens of one request divide up, in OpenAI's `usage.prompt_tokens_details` shape.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>Details of a request's prompt tokens.</summary>
/// <param name="CachedTokens">Prompt tokens whose keys and values were already in the cache from an earlier request on
/// the same model (the longest prefix the prompt shares with what was evaluated before), so they were not evaluated again.</param>
public sealed record PromptTokensDetails([property: JsonPropertyName("cached_tokens")] int CachedTokens);
