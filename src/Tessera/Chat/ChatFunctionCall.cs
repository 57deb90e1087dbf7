// The function of an assistant tool call (OpenAI `tool_calls[].function`).

using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>A function the model called: its name and its arguments as JSON text.</summary>
/// <param name="Name">The function's name, as declared in the tool definition.</param>
/// <param name="Arguments">The arguments as the model wrote them: a JSON object in text form, e.g. <c>{"city":"Paris"}</c>.</param>
public sealed record ChatFunctionCall(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("arguments")] string Arguments);
