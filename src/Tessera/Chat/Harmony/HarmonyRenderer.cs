// Renders OpenAI chat messages as a gpt-oss (harmony) prompt ending in `<|start|>assistant`: by default byte for byte
// what the GGUF's Jinja chat template renders with add_generation_prompt=true after llama.cpp's message conversion
// (gpt-oss-facts.md §6, common/parsers/gpt-oss.cpp); with HarmonyCompatibility.OpenAIHarmony as openai/harmony does.
// The message loop follows the template's order: system block, developer block, then each turn.

using System.Text;

namespace Tessera.Chat.Harmony;

/// <summary>Turns a chat conversation into the text of a gpt-oss prompt.</summary>
public static class HarmonyRenderer
{
    private const string AnalysisInContent = "<|channel|>analysis<|message|>";
    private const string FinalInContent = "<|channel|>final<|message|>";

    /// <summary>
    /// The prompt for <paramref name="messages"/>: the system message, the developer message (instructions from a
    /// first system or developer message, the tools, the response format), the conversation, and the generation
    /// prompt <c>&lt;|start|&gt;assistant</c>. Special tokens appear as their text (<c>&lt;|start|&gt;</c>, ...).
    /// </summary>
    /// <remarks>
    /// As in the template: only a first system/developer message is used (later ones are dropped), earlier
    /// assistant reasoning is dropped except on tool-call turns not yet followed by a final answer, and an
    /// assistant message that has both tool calls and reasoning renders the reasoning, not its content.
    /// </remarks>
    /// <exception cref="HarmonyRenderException">Where the template raises: an assistant message whose content or
    /// reasoning holds <c>&lt;|channel|&gt;analysis&lt;|message|&gt;</c> or <c>&lt;|channel|&gt;final&lt;|message|&gt;</c>,
    /// or a tool message with no earlier tool call.</exception>
    public static string Render(IReadOnlyList<ChatMessage> messages, HarmonyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new HarmonyOptions();
        var harmony = options.Compatibility == HarmonyCompatibility.OpenAIHarmony;
        var tools = options.Tools is { Count: > 0 } t ? t : null;
        var sb = new StringBuilder();

        sb.Append("<|start|>system<|message|>");
        AppendSystemContent(sb, options, tools is not null);
        sb.Append("<|end|>");

        var first = messages.Count > 0 && messages[0].Role is ChatRole.System or ChatRole.Developer ? 1 : 0;
        AppendDeveloperMessage(sb, first == 1 ? messages[0].Content ?? "" : "", tools, options.ResponseFormat, harmony);

        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);  // tool_call_id -> function name
        string? lastToolCall = null;
        for (var i = first; i < messages.Count; i++)
        {
            var message = messages[i];
            switch (message.Role)
            {
                case ChatRole.Assistant:
                    lastToolCall = AppendAssistant(sb, messages, i, harmony, toolNames);
                    break;
                case ChatRole.Tool:
                    AppendToolResult(sb, message, lastToolCall, harmony, toolNames);
                    break;
                case ChatRole.User:
                    sb.Append("<|start|>user<|message|>").Append(message.Content).Append("<|end|>");
                    break;
                // The template renders only a leading system/developer message; later ones are dropped.
            }
        }
        return sb.Append("<|start|>assistant").ToString();
    }

    private static void AppendSystemContent(StringBuilder sb, HarmonyOptions options, bool hasTools)
    {
        var date = options.CurrentDate ?? DateOnly.FromDateTime(DateTime.Now);
        sb.Append(options.ModelIdentity).Append('\n');
        sb.Append("Knowledge cutoff: ").Append(options.KnowledgeCutoff).Append('\n');
        sb.Append("Current date: ").Append(date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append("\n\n");
        sb.Append("Reasoning: ").Append(options.ReasoningEffort switch
        {
            ReasoningEffort.Low => "low",
            ReasoningEffort.High => "high",
            _ => "medium",
        }).Append("\n\n");
        if (options.BuiltinTools != HarmonyBuiltinTools.None)
        {
            sb.Append("# Tools\n\n");
            if (options.BuiltinTools.HasFlag(HarmonyBuiltinTools.Browser)) sb.Append(BuiltinToolText.Browser);
            if (options.BuiltinTools.HasFlag(HarmonyBuiltinTools.Python)) sb.Append(BuiltinToolText.Python);
        }
        sb.Append("# Valid channels: analysis, commentary, final. Channel must be included for every message.");
        if (hasTools) sb.Append("\nCalls to these tools must go to the commentary channel: 'functions'.");
    }

    private static void AppendDeveloperMessage(StringBuilder sb, string instructions, IReadOnlyList<ChatTool>? tools,
        ChatResponseFormat? responseFormat, bool harmony)
    {
        var body = new StringBuilder();
        if (instructions.Length > 0)
        {
            body.Append("# Instructions\n\n").Append(instructions);
            // harmony joins the sections with a blank line; the template ends the instructions with one.
            if (!harmony || tools is not null) body.Append("\n\n");
        }
        if (tools is not null)
        {
            body.Append("# Tools\n\n");
            if (harmony) HarmonyToolNamespace.Append(body, tools);
            else TemplateToolNamespace.Append(body, tools);
        }
        if (ResponseFormatSection(responseFormat) is { } section)
        {
            if (body.Length > 0 && !EndsWithBlankLine(body)) body.Append("\n\n");
            body.Append(section);
        }
        if (body.Length > 0) sb.Append("<|start|>developer<|message|>").Append(body).Append("<|end|>");
    }

    private static bool EndsWithBlankLine(StringBuilder sb) => sb.Length >= 2 && sb[^1] == '\n' && sb[^2] == '\n';

    // The "Structured output" section of the harmony format guide (openai/harmony docs/format.md): the format's name,
    // its description as a comment, the schema as compact JSON. Neither the template nor the harmony library render
    // response formats; this follows the guide's example.
    private static string? ResponseFormatSection(ChatResponseFormat? format)
    {
        if (format is not { Type: "json_schema", JsonSchema: { Schema: { } schema } jsonSchema }) return null;
        var sb = new StringBuilder("# Response Formats\n\n## ").Append(jsonSchema.Name).Append("\n\n");
        if (!string.IsNullOrEmpty(jsonSchema.Description)) sb.Append("// ").Append(jsonSchema.Description).Append('\n');
        return sb.Append(JsonText.ToCompactJson(schema)).ToString();
    }

    // Returns the name of the last tool call rendered (the template's last_tool_call.name): the message's call, or
    // null after a final answer.
    private static string? AppendAssistant(StringBuilder sb, IReadOnlyList<ChatMessage> messages, int index, bool harmony,
        Dictionary<string, string> toolNames)
    {
        var message = messages[index];
        var calls = message.ToolCalls is { Count: > 0 } c ? c : null;
        // llama.cpp passes non-empty reasoning to the template as `thinking`, and drops `content` when there are also
        // tool calls (common/parsers/gpt-oss.cpp).
        var thinking = string.IsNullOrEmpty(message.Reasoning) ? null : message.Reasoning;
        var content = thinking is not null && calls is not null ? null : message.Content ?? "";
        RejectChannelTags(content, "content");
        RejectChannelTags(thinking, "thinking");

        if (calls is null)
        {
            // Reasoning of earlier turns is dropped: it is never rendered for inference.
            sb.Append("<|start|>assistant<|channel|>final<|message|>").Append(content).Append("<|end|>");
            return null;
        }

        // A tool-call turn keeps its reasoning until a final answer follows it.
        var finalFollows = false;
        for (var j = index + 1; j < messages.Count; j++)
            finalFollows |= messages[j].Role == ChatRole.Assistant && messages[j].ToolCalls is not { Count: > 0 };
        var analysis = !string.IsNullOrEmpty(content) ? content : thinking;
        if (analysis is not null && !finalFollows)
            sb.Append("<|start|>assistant<|channel|>analysis<|message|>").Append(analysis).Append("<|end|>");

        // The template renders only the first call of a message; harmony renders each as its own message.
        foreach (var call in harmony ? calls : calls.Take(1))
        {
            sb.Append("<|start|>assistant to=functions.").Append(call.Function.Name).Append("<|channel|>commentary json<|message|>");
            sb.Append(harmony ? call.Function.Arguments : JsonText.Quote(call.Function.Arguments));
            sb.Append("<|call|>");
            if (call.Id.Length > 0) toolNames[call.Id] = call.Function.Name;
        }
        return calls[harmony ? calls.Count - 1 : 0].Function.Name;
    }

    private static void AppendToolResult(StringBuilder sb, ChatMessage message, string? lastToolCall, bool harmony,
        Dictionary<string, string> toolNames)
    {
        var name = lastToolCall;
        if (harmony)
        {
            // harmony names the result after the call it answers.
            name = message.ToolCallId is { } id && toolNames.TryGetValue(id, out var called) ? called : message.Name ?? lastToolCall;
        }
        if (name is null)
            throw new HarmonyRenderException("Message has tool role, but there was no previous assistant message with a tool call!");
        var content = message.Content ?? "";
        sb.Append("<|start|>functions.").Append(name).Append(" to=assistant<|channel|>commentary<|message|>");
        sb.Append(harmony ? content : JsonText.Quote(content)).Append("<|end|>");
    }

    private static void RejectChannelTags(string? text, string field)
    {
        if (text is null || !(text.Contains(AnalysisInContent, StringComparison.Ordinal) || text.Contains(FinalInContent, StringComparison.Ordinal)))
            return;
        throw new HarmonyRenderException(
            $"You have passed a message containing <|channel|> tags in the {field} field. Instead of doing this, you should pass analysis messages (the string between '<|message|>' and '<|end|>') in the 'thinking' field, and final messages (the string between '<|message|>' and '<|end|>') in the 'content' field.");
    }
}
