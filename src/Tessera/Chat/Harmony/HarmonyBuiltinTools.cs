// The built-in tools gpt-oss was trained with (the template's `builtin_tools` kwarg), described in the system message.

namespace Tessera.Chat.Harmony;

/// <summary>Built-in tools to describe in the system message.</summary>
[Flags]
public enum HarmonyBuiltinTools
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>The <c>browser</c> namespace (search, open, find).</summary>
    Browser = 1,

    /// <summary>The stateful <c>python</c> tool.</summary>
    Python = 2,
}
