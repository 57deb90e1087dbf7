// The function of an OpenAI tool definition (`tools[].function`): name, description, JSON-schema parameters.

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A function the model may call.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="Description">What the function does; rendered as a comment above its type.</param>
/// <param name="Parameters">The JSON schema of its arguments (an object schema), or null for no arguments.</param>
/// <param name="Strict">OpenAI's strict flag: when true, calls of this function always follow its schema (enforced
/// while sampling, and a schema the compiler does not support is an error); otherwise they follow it when the schema
/// compiles.</param>
public sealed record ChatFunction(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description = null,
    [property: JsonPropertyName("parameters")] JsonElement? Parameters = null,
    [property: JsonPropertyName("strict")] bool? Strict = null);
