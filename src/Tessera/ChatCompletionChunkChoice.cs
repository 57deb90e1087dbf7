// One choice of a streamed chunk: the delta and, on the last chunk, the finish reason.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>The delta of choice <see cref="Index"/>; <see cref="FinishReason"/> is set on the last chunk only.</summary>
public sealed record ChatCompletionChunkChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] ChatCompletionDelta Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);
