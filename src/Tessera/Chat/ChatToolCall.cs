// One tool call of an assistant message (OpenAI `tool_calls[]`, type "function").

using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A call of a function tool made by the assistant.</summary>
/// <param name="Id">The call's id; the tool message that answers it carries the same <c>tool_call_id</c>.</param>
/// <param name="Function">The function called and its arguments.</param>
public sealed record ChatToolCall(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("function")] ChatFunctionCall Function)
{
    /// <summary>Always <c>"function"</c>, the only kind of tool call OpenAI chat messages have.</summary>
    [JsonPropertyName("type")]
    public string Type => "function";

    /// <summary>A call of <paramref name="name"/> with <paramref name="arguments"/> (JSON text).</summary>
    public static ChatToolCall Create(string id, string name, string arguments) => new(id, new ChatFunctionCall(name, arguments));
}
