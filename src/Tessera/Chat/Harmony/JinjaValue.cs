// Jinja's view of JSON values, as the gpt-oss template sees a tool's schema: a missing member is undefined, truthiness
// follows Python (empty string, list and mapping are false), `x in list` compares items, and text made from a value
// by `~`/`+` or `join` follows @huggingface/jinja (the golden generator), with JSON for what it cannot print.

using System.Text;
using System.Text.Json;

namespace Tessera.Chat.Harmony;

internal static class JinjaValue
{
    /// <summary><c>value.name</c>: the member, or null (undefined) when absent or when value is not a mapping.</summary>
    public static JsonElement? Get(JsonElement? value, string name) =>
        value is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var member) ? member : null;

    /// <summary><c>if value</c>.</summary>
    public static bool Truthy(JsonElement? value) => value is { } v && v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.String => v.GetString()!.Length > 0,
        JsonValueKind.Number => v.GetDouble() != 0,
        JsonValueKind.Array => v.GetArrayLength() > 0,
        JsonValueKind.Object => v.EnumerateObject().Any(),
        _ => false,
    };

    /// <summary><c>value == "text"</c>.</summary>
    public static bool Is(JsonElement? value, string text) =>
        value is { ValueKind: JsonValueKind.String } v && v.ValueEquals(text);

    /// <summary><c>name in container</c> for a list (items), a string (substring) or a mapping (keys).</summary>
    public static bool Contains(JsonElement? container, string name) => container is { } c && c.ValueKind switch
    {
        JsonValueKind.Array => c.EnumerateArray().Any(item => item.ValueKind == JsonValueKind.String && item.ValueEquals(name)),
        JsonValueKind.String => c.GetString()!.Contains(name, StringComparison.Ordinal),
        JsonValueKind.Object => c.TryGetProperty(name, out _),
        _ => false,
    };

    /// <summary>The text of a value in <c>{{ value }}</c> or <c>join</c>.</summary>
    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "",
        // @huggingface/jinja prints a mapping as "[object Map]" and a list as "1,2"; JSON is the useful reading.
        _ => JsonText.ToJinjaJson(value),
    };

    /// <summary>The text of a value in <c>"..." + value</c>; null, which the engines refuse to add, reads "null".</summary>
    public static string Concat(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "null" : Text(value);

    /// <summary><c>value|join(separator)</c>.</summary>
    public static string Join(JsonElement value, string separator)
    {
        if (value.ValueKind != JsonValueKind.Array) return Text(value);
        var sb = new StringBuilder();
        var first = true;
        foreach (var item in value.EnumerateArray())
        {
            if (!first) sb.Append(separator);
            first = false;
            sb.Append(Text(item));
        }
        return sb.ToString();
    }
}
