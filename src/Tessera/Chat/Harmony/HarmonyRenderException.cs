// The error the renderer raises where the gpt-oss chat template calls raise_exception.

namespace Tessera.Chat.Harmony;

/// <summary>A conversation that cannot be rendered as a harmony prompt; the message says why.</summary>
public sealed class HarmonyRenderException : Exception
{
    /// <summary>An exception with the given message.</summary>
    public HarmonyRenderException(string message) : base(message)
    {
    }
}
