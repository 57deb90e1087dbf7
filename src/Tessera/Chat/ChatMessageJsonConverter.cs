// Reads and writes ChatMessage in the OpenAI shape, accepting what OpenAI-compatible clients send: content as a string,
// null or text parts; reasoning as reasoning_content, thinking or reasoning; tool-call arguments as a string or as
// a JSON object (made compact text, as llama.cpp does). Public because ChatMessage names it in its [JsonConverter]:
// a source-generated context in another assembly (an application's, the server's) can only include ChatMessage, or
// the results that hold one, if it can construct the converter.

using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>The JSON converter of <see cref="ChatMessage"/>; use it through the type's attribute.</summary>
public sealed class ChatMessageJsonConverter : JsonConverter<ChatMessage>
{
    public override ChatMessage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return FromElement(document.RootElement);
    }

    private static ChatMessage FromElement(JsonElement m)
    {
        if (m.ValueKind != JsonValueKind.Object) throw new JsonException($"a chat message must be a JSON object, not {m.ValueKind}");
        var role = ParseRole(m.TryGetProperty("role", out var r) ? r : default);
        var reasoning = OptionalString(m, "reasoning_content") ?? OptionalString(m, "thinking") ?? OptionalString(m, "reasoning");
        return new ChatMessage(role, m.TryGetProperty("content", out var c) ? ContentText(c) : null)
        {
            Reasoning = reasoning,
            ToolCalls = m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null ? ToolCalls(calls) : null,
            ToolCallId = OptionalString(m, "tool_call_id"),
            Name = OptionalString(m, "name"),
        };
    }

    private static ChatRole ParseRole(JsonElement role) => role.ValueKind != JsonValueKind.String
        ? throw new JsonException("a chat message needs a string \"role\"")
        : role.GetString() switch
        {
            "system" => ChatRole.System,
            "developer" => ChatRole.Developer,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            var other => throw new JsonException($"unknown chat role \"{other}\" (expected system, developer, user, assistant or tool)"),
        };

    private static string? ContentText(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Null: return null;
            case JsonValueKind.String: return content.GetString();
            case JsonValueKind.Array:
                var sb = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    var type = OptionalString(part, "type");
                    if (type != "text")
                        throw new JsonException($"content part type \"{type}\" is not supported: gpt-oss reads text only");
                    if (sb.Length > 0) sb.Append('\n');
                    sb.Append(OptionalString(part, "text"));
                }
                return sb.ToString();
            default:
                throw new JsonException($"\"content\" must be a string, null or an array of text parts, not {content.ValueKind}");
        }
    }

    private static List<ChatToolCall> ToolCalls(JsonElement calls)
    {
        if (calls.ValueKind != JsonValueKind.Array) throw new JsonException("\"tool_calls\" must be an array");
        var list = new List<ChatToolCall>();
        foreach (var call in calls.EnumerateArray())
        {
            var type = OptionalString(call, "type") ?? "function";
            if (type != "function") throw new JsonException($"tool call type \"{type}\" is not supported (only \"function\")");
            if (!call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                throw new JsonException("a tool call needs a \"function\" object");
            var name = OptionalString(function, "name") ?? throw new JsonException("a tool call's function needs a \"name\"");
            var arguments = function.TryGetProperty("arguments", out var a)
                ? a.ValueKind switch
                {
                    JsonValueKind.String => a.GetString()!,
                    JsonValueKind.Null => "",
                    _ => JsonText.ToCompactJson(a),
                }
                : "";
            list.Add(new ChatToolCall(OptionalString(call, "id") ?? "", new ChatFunctionCall(name, arguments)));
        }
        return list;
    }

    private static string? OptionalString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Null => null,
                _ => throw new JsonException($"\"{name}\" must be a string, not {v.ValueKind}"),
            }
            : null;

    public override void Write(Utf8JsonWriter writer, ChatMessage value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("role", value.Role switch
        {
            ChatRole.System => "system",
            ChatRole.Developer => "developer",
            ChatRole.User => "user",
            ChatRole.Assistant => "assistant",
            _ => "tool",
        });
        writer.WriteString("content", value.Content);
        if (value.Reasoning is not null) writer.WriteString("reasoning_content", value.Reasoning);
        if (value.ToolCalls is { } calls)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                writer.WriteStartObject();
                writer.WriteString("id", call.Id);
                writer.WriteString("type", call.Type);
                writer.WriteStartObject("function");
                writer.WriteString("name", call.Function.Name);
                writer.WriteString("arguments", call.Function.Arguments);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (value.ToolCallId is not null) writer.WriteString("tool_call_id", value.ToolCallId);
        if (value.Name is not null) writer.WriteString("name", value.Name);
        writer.WriteEndObject();
    }
}
