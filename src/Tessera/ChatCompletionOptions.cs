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

    /// <summary><c>auto</c> (default), <c>none</c> (tools are left out of the prompt), or <c>required</c>: the reply is
    /// a call of one of <see cref="Tools"/> with arguments that follow its parameter schema (enforced while sampling).
    /// To force one function, offer only that one.</summary>
    public string ToolChoice { get; init; } = "auto";

    /// <summary>The form of the answer: <c>json_object</c> (any JSON object) or <c>json_schema</c> (a value of the
    /// schema, which is also rendered into the developer message). Enforced while sampling; a schema keyword the
    /// compiler does not support is refused with a <see cref="Constraints.GrammarException"/> naming it.</summary>
    public ChatResponseFormat? ResponseFormat { get; init; }

    /// <summary>A grammar the final answer must follow (see <see cref="Constraints.Grammar.Parse"/>); not together with a
    /// JSON <see cref="ResponseFormat"/>.</summary>
    public Constraints.Grammar? Grammar { get; init; }

    /// <summary>Most tokens the analysis channel may take before the answer is forced to begin; 0 skips reasoning;
    /// null (default) leaves it to the model. Setting it makes generation follow the harmony frame strictly.</summary>
    public int? MaxReasoningTokens { get; init; }

    /// <summary>The date written into the system message; null = today.</summary>
    public DateOnly? CurrentDate { get; init; }

    public override void Validate()
    {
        base.Validate();
        if (ToolChoice is not ("auto" or "none" or "required"))
            throw new ArgumentException($"tool_choice must be auto, none or required (got \"{ToolChoice}\")");
        if (ToolChoice == "required" && Tools is not { Count: > 0 })
            throw new ArgumentException("tool_choice \"required\" needs at least one tool");
        if (MaxReasoningTokens is < 0) throw new ArgumentException($"max reasoning tokens must not be negative (got {MaxReasoningTokens})");
        // Compiles (and caches) the grammars, so that an unsupported schema is an error before generation starts.
        Constraints.StructuredOutput.ToolGrammars(this);
        Constraints.StructuredOutput.AnswerGrammar(this);
    }

    internal HarmonyOptions ToHarmonyOptions() => new()
    {
        ReasoningEffort = ReasoningEffort,
        Tools = ToolChoice == "none" ? null : Tools,
        ResponseFormat = ResponseFormat,
        CurrentDate = CurrentDate,
    };
}
