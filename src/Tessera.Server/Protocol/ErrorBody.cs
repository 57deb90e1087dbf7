// The body of an OpenAI API error (`{"error": {...}}`): the shape OpenAI clients parse into their exceptions.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary>What went wrong: a sentence for people, a type and code for programs, and the request field at fault.</summary>
internal sealed record ErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
