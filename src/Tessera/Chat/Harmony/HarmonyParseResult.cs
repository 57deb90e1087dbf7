// The whole of one parsed assistant turn, in the shape of an OpenAI chat completion message plus finish reason.

namespace Tessera.Chat.Harmony;

/// <summary>A parsed assistant turn: what <see cref="HarmonyAccumulator"/> makes of a parser's events.</summary>
/// <param name="Content">User-visible text: final answer, commentary preambles, text that is not harmony.</param>
/// <param name="Reasoning">Chain of thought: the analysis channel and messages to built-in tools.</param>
/// <param name="ToolCalls">The function calls, in order.</param>
/// <param name="FinishReason"><c>"stop"</c>, <c>"tool_calls"</c> (some function call and not cut short) or
/// <c>"length"</c>; null when the turn has not ended.</param>
public sealed record HarmonyParseResult(string Content, string Reasoning, IReadOnlyList<HarmonyToolCall> ToolCalls, string? FinishReason)
{
    /// <summary>Equal when every member is equal, tool calls compared element by element.</summary>
    public bool Equals(HarmonyParseResult? other) =>
        other is not null && Content == other.Content && Reasoning == other.Reasoning && FinishReason == other.FinishReason
        && ToolCalls.SequenceEqual(other.ToolCalls);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Content, Reasoning, ToolCalls.Count, FinishReason);
}
