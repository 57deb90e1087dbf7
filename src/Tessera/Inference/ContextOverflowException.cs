// Raised when a prompt or a generation would need more positions than the context holds.

namespace Tessera.Inference;

/// <summary>The tokens do not fit in the context.</summary>
public sealed class ContextOverflowException(int needed, int contextSize)
    : Exception($"the prompt needs {needed} tokens but the context holds {contextSize}; shorten it or load the model with a larger context size")
{
    /// <summary>Positions that were needed.</summary>
    public int Needed { get; } = needed;

    /// <summary>Positions the context holds.</summary>
    public int ContextSize { get; } = contextSize;
}
