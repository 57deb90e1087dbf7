// Kinds of event the streaming harmony output parser reports (gpt-oss-facts.md §6, openai/harmony docs/format.md).

namespace Tessera.Chat.Harmony;

/// <summary>What a <see cref="HarmonyEvent"/> reports.</summary>
public enum HarmonyEventKind
{
    /// <summary>Chain-of-thought text: the <c>analysis</c> channel, or a message to a built-in tool such as <c>python</c>.</summary>
    ReasoningDelta,

    /// <summary>User-visible text: the <c>final</c> channel, <c>commentary</c> preambles, messages without or with an
    /// unknown channel, and any text that does not parse as harmony.</summary>
    ContentDelta,

    /// <summary>A message to <c>functions.NAME</c> began: a tool call with a fresh id.</summary>
    ToolCallStart,

    /// <summary>Text of a tool call's arguments (normally JSON).</summary>
    ToolCallArgumentsDelta,

    /// <summary>The tool call's message ended with <c>&lt;|call|&gt;</c>, <c>&lt;|end|&gt;</c> or another message end.</summary>
    ToolCallEnd,

    /// <summary>A message ended; <see cref="HarmonyEvent.Channel"/> is its channel, if its header named one.</summary>
    MessageEnd,

    /// <summary>The assistant's turn ended; <see cref="HarmonyEvent.TurnEndReason"/> says how.</summary>
    TurnEnd,
}
