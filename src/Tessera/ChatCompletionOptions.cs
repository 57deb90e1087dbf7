// Options of a chat completion: the completion options plus what goes into the harmony prompt.

using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera;

/// <summary>Options for <see cref="TesseraModel.CreateChatCompletion"/>.</summary>
public sealed record ChatCompletionOptions : CompletionOptions
{
    /// <summary>How long the model thinks before answering (harmony's <c>Reasoning:</c> line). Default medium.</summary>
    public ReasoningEffort ReasoningEffort { get; init; } = ReasoningEffort.Medium;

    /// <summary>Function tools the model may call.</summary>
    public IReadOnlyList<ChatTool>? Tools { get; init; }

    /// <summary><c>auto</c> (default), <c>none</c> (tools are left out of the prompt), or <c>required</c>.</summary>
    public string ToolChoice { get; init; } = "auto";

    /// <summary>A JSON schema the answer should follow (rendered into the developer message).</summary>
    public ChatResponseFormat? ResponseFormat { get; init; }

    /// <summary>The date written into the system message; null = today.</summary>
    public DateOnly? CurrentDate { get; init; }

    public override void Validate()
    {
        base.Validate();
        if (ToolChoice is not ("auto" or "none" or "required"))
            throw new ArgumentException($"tool_choice must be auto, none or required (got \"{ToolChoice}\")");
    }

    internal HarmonyOptions ToHarmonyOptions() => new()
    {
        ReasoningEffort = ReasoningEffort,
        Tools = ToolChoice == "none" ? null : Tools,
        ResponseFormat = ResponseFormat,
        CurrentDate = CurrentDate,
    };
}
