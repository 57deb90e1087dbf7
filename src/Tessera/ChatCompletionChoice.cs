// One choice of a chat completion: the assistant's message and why generation stopped.

using System.Text.Json.Serialization;
using Tessera.Chat;

namespace Tessera;

/// <summary>A generated assistant message with its finish reason (<c>stop</c>, <c>length</c> or <c>tool_calls</c>).</summary>
public sealed record ChatCompletionChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message")] ChatMessage Message,
    [property: JsonPropertyName("finish_reason")] string FinishReason);
