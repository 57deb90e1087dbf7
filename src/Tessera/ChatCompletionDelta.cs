// What one streamed chunk adds to the assistant's message (OpenAI `choices[].delta`).

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>An increment of the assistant's message: text, reasoning or tool-call pieces. Unset parts are null.</summary>
public sealed record ChatCompletionDelta
{
    /// <summary><c>assistant</c> on the first chunk only.</summary>
    [JsonPropertyName("role")] public string? Role { get; init; }

    /// <summary>Answer text.</summary>
    [JsonPropertyName("content")] public string? Content { get; init; }

    /// <summary>Reasoning text (harmony's analysis channel).</summary>
    [JsonPropertyName("reasoning_content")] public string? ReasoningContent { get; init; }

    /// <summary>Tool-call pieces: the first for a call carries its id and name, later ones argument text.</summary>
    [JsonPropertyName("tool_calls")] public IReadOnlyList<ToolCallDelta>? ToolCalls { get; init; }
}
