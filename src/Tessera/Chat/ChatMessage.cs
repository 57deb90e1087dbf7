// One message of an OpenAI chat conversation (Chat Completions API `messages[]`), with the assistant's reasoning
// carried as `reasoning_content` the way llama.cpp and vLLM return it.

using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A chat message: a role, text content and, for the assistant, reasoning and tool calls.</summary>
/// <remarks>
/// JSON form (<see cref="ChatJsonContext"/>): the OpenAI shape. <c>content</c> may be a string, null, or an array of
/// text parts (joined with <c>"\n"</c>, as llama.cpp does); the reasoning is read from <c>reasoning_content</c>,
/// <c>thinking</c> or <c>reasoning</c> and written as <c>reasoning_content</c>.
/// </remarks>
/// <param name="Role">Who wrote the message.</param>
/// <param name="Content">The text, or null (an assistant message with only tool calls).</param>
[JsonConverter(typeof(ChatMessageJsonConverter))]
public sealed record ChatMessage(ChatRole Role, string? Content = null)
{
    /// <summary>The assistant's chain of thought (harmony's analysis channel), or null.</summary>
    public string? Reasoning { get; init; }

    /// <summary>The assistant's tool calls, or null.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For a tool message: the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For a tool message: the function's name (optional in OpenAI's API).</summary>
    public string? Name { get; init; }

    /// <summary>A system message.</summary>
    public static ChatMessage System(string content) => new(ChatRole.System, content);

    /// <summary>A developer message.</summary>
    public static ChatMessage Developer(string content) => new(ChatRole.Developer, content);

    /// <summary>A user message.</summary>
    public static ChatMessage User(string content) => new(ChatRole.User, content);

    /// <summary>An assistant answer, optionally with the reasoning that led to it.</summary>
    public static ChatMessage Assistant(string content, string? reasoning = null) =>
        new(ChatRole.Assistant, content) { Reasoning = reasoning };

    /// <summary>An assistant message that calls tools, optionally with the reasoning that led to the calls.</summary>
    public static ChatMessage AssistantToolCalls(IReadOnlyList<ChatToolCall> toolCalls, string? reasoning = null) =>
        new(ChatRole.Assistant) { ToolCalls = toolCalls, Reasoning = reasoning };

    /// <summary>The result of the tool call <paramref name="toolCallId"/>.</summary>
    public static ChatMessage Tool(string toolCallId, string content, string? name = null) =>
        new(ChatRole.Tool, content) { ToolCallId = toolCallId, Name = name };
}
