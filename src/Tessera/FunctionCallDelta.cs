// The function part of a streamed tool-call piece: the name once, then argument text.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>Name (first piece only) and a piece of the arguments.</summary>
public sealed record FunctionCallDelta(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("arguments")] string? Arguments);
