// System.Text.Json source-generated metadata for the OpenAI-shaped chat types (trimming- and AOT-safe).

using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>Serializer context for the chat types: messages, tools, tool calls and response formats.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(List<ChatMessage>))]
[JsonSerializable(typeof(ChatTool))]
[JsonSerializable(typeof(List<ChatTool>))]
[JsonSerializable(typeof(ChatToolCall))]
[JsonSerializable(typeof(ChatResponseFormat))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
