// The reasoning levels gpt-oss was trained with; written as "Reasoning: low|medium|high" in the system message.

namespace Tessera.Chat.Harmony;

/// <summary>How much the model reasons before answering.</summary>
public enum ReasoningEffort
{
    /// <summary><c>Reasoning: low</c>.</summary>
    Low,

    /// <summary><c>Reasoning: medium</c>, the template's default.</summary>
    Medium,

    /// <summary><c>Reasoning: high</c>.</summary>
    High,
}
