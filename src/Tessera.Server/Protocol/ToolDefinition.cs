// A `tools[]` entry as clients send it; read apart from the library's ChatTool so that a tool of another type
// (OpenAI's "custom" tools) is refused by name instead of being taken for a function.

using System.Text.Json.Serialization;
using Tessera.Chat;

namespace Tessera.Server.Protocol;

/// <summary><c>{"type": "function", "function": {"name", "description", "parameters"}}</c>.</summary>
internal sealed class ToolDefinition
{
    [JsonPropertyName("type")] public string? Type { get; set; }

    [JsonPropertyName("function")] public ChatFunction? Function { get; set; }
}
