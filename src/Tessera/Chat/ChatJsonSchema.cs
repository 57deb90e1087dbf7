// The `json_schema` member of an OpenAI response format.

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A named JSON schema that the answer must follow.</summary>
/// <param name="Name">The format's name.</param>
/// <param name="Description">What the format is for, or null.</param>
/// <param name="Schema">The JSON schema.</param>
/// <param name="Strict">OpenAI's strict flag; carried, not used by the prompt.</param>
public sealed record ChatJsonSchema(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description = null,
    [property: JsonPropertyName("schema")] JsonElement? Schema = null,
    [property: JsonPropertyName("strict")] bool? Strict = null);
