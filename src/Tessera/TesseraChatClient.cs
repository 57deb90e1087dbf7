// Microsoft.Extensions.AI's IChatClient over a TesseraModel: reasoning becomes TextReasoningContent, tool calls
// FunctionCallContent (so FunctionInvokingChatClient can run them), tool results come back as FunctionResultContent.

using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Tessera.Chat;
using Tessera.Chat.Harmony;
using Tessera.Inference;
using AI = Microsoft.Extensions.AI;
using ReasoningEffort = Tessera.Chat.Harmony.ReasoningEffort;

namespace Tessera;

/// <summary>An <see cref="IChatClient"/> for a <see cref="TesseraModel"/>; get one with <see cref="TesseraModel.AsChatClient"/>.</summary>
public sealed class TesseraChatClient : IChatClient
{
    private readonly TesseraModel _model;

    internal TesseraChatClient(TesseraModel model) => _model = model;

    /// <summary>Provider name and model id, as Microsoft.Extensions.AI reports them.</summary>
    public ChatClientMetadata Metadata => new("tessera", null, _model.Name);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var completion = await _model.CreateChatCompletionAsync(ToTessera(messages), ToTessera(options), cancellationToken).ConfigureAwait(false);
        var choice = completion.Choices[0];
        var contents = new List<AIContent>();
        if (choice.Message.Reasoning is { Length: > 0 } reasoning) contents.Add(new TextReasoningContent(reasoning));
        if (choice.Message.Content is { Length: > 0 } text) contents.Add(new TextContent(text));
        foreach (var call in choice.Message.ToolCalls ?? []) contents.Add(ToFunctionCall(call.Id, call.Function.Name, call.Function.Arguments));
        return new ChatResponse(new AI.ChatMessage(AI.ChatRole.Assistant, contents) { MessageId = completion.Id })
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(completion.Created),
            FinishReason = ToFinishReason(choice.FinishReason),
            Usage = ToUsage(completion.Usage),
            RawRepresentation = completion,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Function calls are handed over whole (as FunctionCallContent expects), after their arguments are complete.
        var calls = new SortedDictionary<int, (string Id, string Name, System.Text.StringBuilder Arguments)>();
        await foreach (var chunk in _model.CreateChatCompletionStreaming(ToTessera(messages), ToTessera(options), cancellationToken).ConfigureAwait(false))
        {
            var choice = chunk.Choices[0];
            var delta = choice.Delta;
            var contents = new List<AIContent>();
            if (delta.ReasoningContent is { Length: > 0 } r) contents.Add(new TextReasoningContent(r));
            if (delta.Content is { Length: > 0 } c) contents.Add(new TextContent(c));
            foreach (var t in delta.ToolCalls ?? [])
            {
                if (t.Id is not null) calls[t.Index] = (t.Id, t.Function.Name ?? "", new());
                else if (calls.TryGetValue(t.Index, out var call)) call.Arguments.Append(t.Function.Arguments);
            }
            if (choice.FinishReason is not null)
            {
                foreach (var (_, call) in calls) contents.Add(ToFunctionCall(call.Id, call.Name, call.Arguments.ToString()));
                if (chunk.Usage is { } usage) contents.Add(new UsageContent(ToUsage(usage)));
            }
            if (contents.Count == 0 && choice.FinishReason is null && delta.Role is null) continue;
            yield return new ChatResponseUpdate(delta.Role is null ? null : AI.ChatRole.Assistant, contents)
            {
                ResponseId = chunk.Id,
                MessageId = chunk.Id,
                ModelId = chunk.Model,
                CreatedAt = DateTimeOffset.FromUnixTimeSeconds(chunk.Created),
                FinishReason = choice.FinishReason is { } f ? ToFinishReason(f) : null,
                RawRepresentation = chunk,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(_model) ? _model
        : null;

    /// <summary>Does nothing: the model belongs to whoever loaded it.</summary>
    public void Dispose() { }

    private static IReadOnlyList<Chat.ChatMessage> ToTessera(IEnumerable<AI.ChatMessage> messages)
    {
        var list = new List<Chat.ChatMessage>();
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in messages)
        {
            var text = string.Concat(m.Contents.OfType<TextContent>().Select(t => t.Text));
            var reasoning = string.Concat(m.Contents.OfType<TextReasoningContent>().Select(t => t.Text));
            if (m.Role == AI.ChatRole.System) list.Add(Chat.ChatMessage.System(text));
            else if (m.Role == AI.ChatRole.User) list.Add(Chat.ChatMessage.User(text));
            else if (m.Role == AI.ChatRole.Assistant)
            {
                var calls = m.Contents.OfType<FunctionCallContent>().Select(f =>
                {
                    callNames[f.CallId] = f.Name;
                    return ChatToolCall.Create(f.CallId, f.Name, JsonSerializer.Serialize(f.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))));
                }).ToList();
                list.Add(new Chat.ChatMessage(Chat.ChatRole.Assistant, text.Length > 0 || calls.Count == 0 ? text : null)
                {
                    Reasoning = reasoning.Length > 0 ? reasoning : null,
                    ToolCalls = calls.Count > 0 ? calls : null,
                });
            }
            else if (m.Role == AI.ChatRole.Tool)
            {
                foreach (var r in m.Contents.OfType<FunctionResultContent>())
                    list.Add(Chat.ChatMessage.Tool(r.CallId, ResultText(r.Result), callNames.GetValueOrDefault(r.CallId)));
            }
            else list.Add(new Chat.ChatMessage(Chat.ChatRole.Developer, text));
        }
        return list;
    }

    private static string ResultText(object? result) => result switch
    {
        null => "null",
        string s => s,
        JsonElement e => e.GetRawText(),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())),
    };

    private static ChatCompletionOptions ToTessera(ChatOptions? o)
    {
        if (o is null) return new();
        // Microsoft.Extensions.AI's own reasoning option first, then the OpenAI request field passed through.
        var effort = o.Reasoning?.Effort is { } r ? r switch
        {
            AI.ReasoningEffort.Low or AI.ReasoningEffort.None => "low",
            AI.ReasoningEffort.High or AI.ReasoningEffort.ExtraHigh => "high",
            _ => "medium",
        } : o.AdditionalProperties?.TryGetValue("reasoning_effort", out var e) == true ? e?.ToString() : null;
        return new ChatCompletionOptions
        {
            MaxTokens = o.MaxOutputTokens,
            Stop = o.StopSequences?.ToArray(),
            Sampling = new SamplingOptions
            {
                Temperature = o.Temperature ?? 1.0f,
                TopP = o.TopP ?? 1.0f,
                TopK = o.TopK ?? 0,
                Seed = o.Seed is { } seed ? unchecked((ulong)seed) : null,
                PresencePenalty = o.PresencePenalty ?? 0,
                FrequencyPenalty = o.FrequencyPenalty ?? 0,
            },
            ReasoningEffort = effort?.ToLowerInvariant() switch
            {
                null or "medium" => ReasoningEffort.Medium,
                "low" => ReasoningEffort.Low,
                "high" => ReasoningEffort.High,
                _ => throw new ArgumentException($"reasoning_effort must be low, medium or high (got \"{effort}\")"),
            },
            // ToolMode.RequireSpecific(name) offers only that function, which the required call then has to be.
            Tools = o.Tools?.OfType<AIFunctionDeclaration>()
                .Where(f => o.ToolMode is not RequiredChatToolMode { RequiredFunctionName: { } only } || f.Name == only)
                .Select(f => ChatTool.Create(f.Name, f.Description, f.JsonSchema.GetRawText())).ToList() is { Count: > 0 } tools ? tools : null,
            ToolChoice = o.ToolMode is NoneChatToolMode ? "none" : o.ToolMode is RequiredChatToolMode ? "required" : "auto",
            ResponseFormat = o.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } json => Chat.ChatResponseFormat.ForJsonSchema(json.SchemaName ?? "response", schema.GetRawText(), json.SchemaDescription),
                ChatResponseFormatJson => new Chat.ChatResponseFormat("json_object"),
                _ => null,
            },
            MaxReasoningTokens = o.AdditionalProperties?.TryGetValue("max_reasoning_tokens", out var budget) == true && budget is not null
                ? Convert.ToInt32(budget, System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }

    private static FunctionCallContent ToFunctionCall(string id, string name, string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(arguments.Length == 0 ? "{}" : arguments);
            var args = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                : new Dictionary<string, object?>();
            return new FunctionCallContent(id, name, args);
        }
        catch (JsonException e)
        {
            return new FunctionCallContent(id, name) { Exception = new InvalidOperationException($"the model's arguments for {name} are not valid JSON: {arguments}", e) };
        }
    }

    private static ChatFinishReason ToFinishReason(string reason) => reason switch
    {
        "length" => ChatFinishReason.Length,
        "tool_calls" => ChatFinishReason.ToolCalls,
        _ => ChatFinishReason.Stop,
    };

    private static UsageDetails ToUsage(CompletionUsage u) => new()
    {
        InputTokenCount = u.PromptTokens,
        CachedInputTokenCount = u.PromptTokensDetails?.CachedTokens,
        OutputTokenCount = u.CompletionTokens,
        TotalTokenCount = u.TotalTokens,
    };
}
