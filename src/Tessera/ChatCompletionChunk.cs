// A streamed piece of a chat completion in OpenAI's shape (`chat.completion.chunk`).

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>A chunk of a streamed chat completion. The last chunk carries <see cref="Usage"/> and <see cref="Timings"/>.</summary>
public sealed record ChatCompletionChunk(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatCompletionChunkChoice> Choices)
{
    /// <summary>Always <c>chat.completion.chunk</c>.</summary>
    [JsonPropertyName("object")] public string Object => "chat.completion.chunk";

    /// <summary>Token counts, on the last chunk.</summary>
    [JsonPropertyName("usage")] public CompletionUsage? Usage { get; init; }

    /// <summary>Timings, on the last chunk.</summary>
    [JsonPropertyName("timings")] public PerformanceCounters? Timings { get; init; }
}
