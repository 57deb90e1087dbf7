// Everything besides the messages that goes into a gpt-oss prompt: the template's kwargs (reasoning_effort,
// model_identity, builtin_tools, the date from strftime_now) and the request's tools and response format.

namespace Tessera.Chat.Harmony;

/// <summary>Options of <see cref="HarmonyRenderer.Render"/>.</summary>
public sealed record HarmonyOptions
{
    /// <summary>The identity line that opens the system message (the template's default).</summary>
    public const string DefaultModelIdentity = "You are ChatGPT, a large language model trained by OpenAI.";

    /// <summary>The knowledge cutoff gpt-oss was trained with.</summary>
    public const string DefaultKnowledgeCutoff = "2024-06";

    /// <summary>The reasoning effort; medium by default.</summary>
    public ReasoningEffort ReasoningEffort { get; init; } = ReasoningEffort.Medium;

    /// <summary>The date written as <c>Current date:</c>; null means today (local time, as llama.cpp's strftime_now).</summary>
    public DateOnly? CurrentDate { get; init; }

    /// <summary>The date written as <c>Knowledge cutoff:</c>.</summary>
    public string KnowledgeCutoff { get; init; } = DefaultKnowledgeCutoff;

    /// <summary>The first line of the system message.</summary>
    public string ModelIdentity { get; init; } = DefaultModelIdentity;

    /// <summary>Function tools, described in the developer message; null or empty for none.</summary>
    public IReadOnlyList<ChatTool>? Tools { get; init; }

    /// <summary>
    /// A <c>json_schema</c> response format, described at the end of the developer message as the harmony format guide
    /// shows (<c># Response Formats</c>); other types add nothing to the prompt.
    /// </summary>
    public ChatResponseFormat? ResponseFormat { get; init; }

    /// <summary>Built-in tools described in the system message.</summary>
    public HarmonyBuiltinTools BuiltinTools { get; init; }

    /// <summary>Which reference to match where the chat template and openai/harmony differ.</summary>
    public HarmonyCompatibility Compatibility { get; init; } = HarmonyCompatibility.ChatTemplate;
}
