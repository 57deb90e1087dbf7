// The result of a raw-prompt completion in OpenAI's legacy shape (`text_completion`).

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>A completion of a raw prompt.</summary>
public sealed record TextCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<TextCompletionChoice> Choices,
    [property: JsonPropertyName("usage")] CompletionUsage Usage,
    [property: JsonPropertyName("timings")] PerformanceCounters Timings)
{
    /// <summary>Always <c>text_completion</c>.</summary>
    [JsonPropertyName("object")] public string Object => "text_completion";
}
