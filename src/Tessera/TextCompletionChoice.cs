// One choice of a raw-prompt completion.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>Generated text and why generation stopped (<c>stop</c> or <c>length</c>).</summary>
public sealed record TextCompletionChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("finish_reason")] string FinishReason);
