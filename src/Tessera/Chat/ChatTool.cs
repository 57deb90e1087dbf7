// An OpenAI tool definition (`tools[]`, type "function").

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A tool offered to the model: a function with a JSON-schema description of its arguments.</summary>
/// <param name="Function">The function.</param>
public sealed record ChatTool([property: JsonPropertyName("function")] ChatFunction Function)
{
    /// <summary>Always <c>"function"</c>, the only kind of tool OpenAI chat requests define.</summary>
    [JsonPropertyName("type")]
    public string Type => "function";

    /// <summary>A function tool; <paramref name="parametersJson"/> is its JSON schema as text, or null for none.</summary>
    public static ChatTool Create(string name, string? description = null, string? parametersJson = null) =>
        new(new ChatFunction(name, description, parametersJson is null ? null : JsonDocument.Parse(parametersJson).RootElement.Clone()));
}
