// The result of a chat completion in OpenAI's shape (`chat.completion`), with reasoning apart from the answer and
// llama.cpp-style timings.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>A chat completion: <c>choices[0].message</c> holds <c>content</c>, <c>reasoning_content</c> and <c>tool_calls</c>.</summary>
public sealed record ChatCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatCompletionChoice> Choices,
    [property: JsonPropertyName("usage")] CompletionUsage Usage,
    [property: JsonPropertyName("timings")] PerformanceCounters Timings)
{
    /// <summary>Always <c>chat.completion</c>.</summary>
    [JsonPropertyName("object")] public string Object => "chat.completion";
}
