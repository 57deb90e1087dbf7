// The body of `POST /v1/chat/completions` in OpenAI's shape, and its translation to the library's options:
// tool_choice naming one function becomes "required" with only that function offered (the sampler then forces that
// call); reasoning_effort's "minimal" and "none" (newer OpenAI models) become gpt-oss's low.

using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Server.Protocol;

/// <summary>A chat completion request. Messages are read by the library's converter (content as a string or text
/// parts; reasoning as <c>reasoning_content</c>, <c>thinking</c> or <c>reasoning</c>).</summary>
internal sealed class ChatCompletionRequest : GenerationRequest
{
    [JsonPropertyName("messages")] public List<ChatMessage>? Messages { get; set; }

    /// <summary>OpenAI's newer name for <see cref="GenerationRequest.MaxTokens"/>; wins when both are given.</summary>
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; set; }

    [JsonPropertyName("tools")] public List<ToolDefinition>? Tools { get; set; }

    /// <summary><c>"auto"</c>, <c>"none"</c>, <c>"required"</c> or <c>{"type": "function", "function": {"name": ...}}</c>.</summary>
    [JsonPropertyName("tool_choice")] public JsonElement? ToolChoice { get; set; }

    [JsonPropertyName("reasoning_effort")] public string? ReasoningEffort { get; set; }

    [JsonPropertyName("response_format")] public ChatResponseFormat? ResponseFormat { get; set; }

    /// <summary>Tessera's extension: most tokens of analysis before the answer is forced to begin (0 = none).</summary>
    [JsonPropertyName("max_reasoning_tokens")] public int? MaxReasoningTokens { get; set; }

    /// <summary>The messages, checked to be present.</summary>
    public IReadOnlyList<ChatMessage> CheckedMessages()
    {
        if (Messages is null) throw ApiException.BadRequest("messages is required", "messages");
        if (Messages.Count == 0) throw ApiException.BadRequest("messages must not be empty", "messages");
        for (var i = 0; i < Messages.Count; i++)
            if (Messages[i] is null) throw ApiException.BadRequest("a message must be an object, not null", $"messages[{i}]");
        return Messages;
    }

    /// <summary>The library's options for this request; throws <see cref="ApiException"/> naming the first bad field.</summary>
    public ChatCompletionOptions ToOptions(int vocabularySize, GenerationDefaults? defaults = null)
    {
        defaults ??= new GenerationDefaults();
        if (MaxReasoningTokens is < 0) throw ApiException.BadRequest($"max_reasoning_tokens must not be negative (got {MaxReasoningTokens})", "max_reasoning_tokens");
        var tools = ToTools();
        var (choice, offered) = ToToolChoice(tools);
        return new ChatCompletionOptions
        {
            MaxTokens = CheckMaxTokens(MaxCompletionTokens, "max_completion_tokens") ?? CheckMaxTokens(MaxTokens, "max_tokens") ?? defaults.MaxTokens,
            Stop = ToStop(),
            Sampling = ToSampling(vocabularySize, defaults.Sampling),
            ReasoningEffort = ToEffort(defaults.ReasoningEffort),
            Tools = offered,
            ToolChoice = choice,
            ResponseFormat = ToResponseFormat(),
            MaxReasoningTokens = MaxReasoningTokens ?? defaults.MaxReasoningTokens,
        };
    }

    private List<ChatTool>? ToTools()
    {
        if (Tools is null || Tools.Count == 0) return null;
        var tools = new List<ChatTool>();
        for (var i = 0; i < Tools.Count; i++)
        {
            var param = $"tools[{i}]";
            var tool = Tools[i] ?? throw ApiException.BadRequest("a tool must be an object", param);
            if (tool.Type is not (null or "function")) throw ApiException.BadRequest($"tool type \"{tool.Type}\" is not supported (only \"function\")", param + ".type");
            if (tool.Function is not { Name: { Length: > 0 } } function) throw ApiException.BadRequest("a function tool needs a function with a name", param + ".function");
            if (function.Parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                throw ApiException.BadRequest("function parameters must be a JSON schema object", param + ".function.parameters");
            tools.Add(new ChatTool(function));
        }
        return tools;
    }

    private (string Choice, IReadOnlyList<ChatTool>? Offered) ToToolChoice(List<ChatTool>? tools)
    {
        const string Param = "tool_choice";
        if (ToolChoice is not { ValueKind: not JsonValueKind.Null } choice) return ("auto", tools);
        string? name = null;
        if (choice.ValueKind == JsonValueKind.String)
        {
            var text = choice.GetString();
            if (text is not ("auto" or "none" or "required"))
                throw ApiException.BadRequest($"tool_choice must be \"auto\", \"none\", \"required\" or a function (got \"{text}\")", Param);
            if (text == "required" && tools is null) throw ApiException.BadRequest("tool_choice \"required\" needs tools", Param);
            return (text, tools);
        }
        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            name = n.GetString();
        if (name is null) throw ApiException.BadRequest("tool_choice must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}", Param);
        var named = tools?.Where(t => t.Function.Name == name).ToList();
        if (named is not { Count: > 0 }) throw ApiException.BadRequest($"tool_choice names function \"{name}\", which is not among the tools", Param);
        return ("required", named);
    }

    private ReasoningEffort ToEffort(ReasoningEffort otherwise) => ReasoningEffort switch
    {
        null => otherwise,
        "medium" => Chat.Harmony.ReasoningEffort.Medium,
        "low" or "minimal" or "none" => Chat.Harmony.ReasoningEffort.Low,
        "high" => Chat.Harmony.ReasoningEffort.High,
        var other => throw ApiException.BadRequest($"reasoning_effort must be low, medium or high (got \"{other}\")", "reasoning_effort"),
    };

    private ChatResponseFormat? ToResponseFormat()
    {
        const string Param = "response_format";
        switch (ResponseFormat?.Type)
        {
            case null when ResponseFormat is null:
            case "text":
                return null;
            case "json_object":
                // Enforced while sampling: the answer is one JSON object.
                return ResponseFormat;
            case "json_schema":
                if (ResponseFormat!.JsonSchema is not { Name: { Length: > 0 } }) throw ApiException.BadRequest("json_schema needs a name", Param + ".json_schema");
                if (ResponseFormat.JsonSchema.Schema is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                    throw ApiException.BadRequest("json_schema.schema must be a JSON schema object", Param + ".json_schema.schema");
                return ResponseFormat;
            default:
                throw ApiException.BadRequest($"response_format type must be text, json_object or json_schema (got \"{ResponseFormat!.Type}\")", Param + ".type");
        }
    }
}
