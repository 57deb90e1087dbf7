// Why an assistant turn in harmony format ended (gpt-oss-facts.md §6: stop tokens 200002, 200012, 199999).

namespace Tessera.Chat.Harmony;

/// <summary>Why the assistant's turn ended.</summary>
public enum HarmonyTurnEndReason
{
    /// <summary><c>&lt;|return|&gt;</c>: the final answer is complete.</summary>
    Return,

    /// <summary><c>&lt;|call|&gt;</c>: the turn ends with a tool call.</summary>
    Call,

    /// <summary><c>&lt;|endoftext|&gt;</c>.</summary>
    EndOfText,

    /// <summary>Generation stopped without an end token, at the token limit (<see cref="HarmonyParser.Finish"/>'s default).</summary>
    Length,

    /// <summary>The caller stopped generation for its own reason, such as a stop sequence.</summary>
    Stop,
}
