// An OpenAI chat request's `response_format`: "text", "json_object" or "json_schema".

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>The form the answer must take.</summary>
/// <param name="Type"><c>"text"</c>, <c>"json_object"</c> or <c>"json_schema"</c>.</param>
/// <param name="JsonSchema">The schema, for <c>"json_schema"</c>.</param>
public sealed record ChatResponseFormat(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("json_schema")] ChatJsonSchema? JsonSchema = null)
{
    /// <summary>A <c>json_schema</c> format; <paramref name="schemaJson"/> is the schema as text.</summary>
    public static ChatResponseFormat ForJsonSchema(string name, string schemaJson, string? description = null) =>
        new("json_schema", new ChatJsonSchema(name, description, JsonDocument.Parse(schemaJson).RootElement.Clone()));
}
