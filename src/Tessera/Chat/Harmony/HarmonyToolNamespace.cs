// The `namespace functions { ... }` block as openai/harmony writes it (src/encoding.rs: template_tools_section and
// json_schema_to_typescript): nested objects indented, oneOf variants on their own " | " lines, titles, examples
// and object descriptions as comments, defaults as compact JSON.

using System.Text;
using System.Text.Json;

namespace Tessera.Chat.Harmony;

internal static class HarmonyToolNamespace
{
    /// <summary>template_tools_section for the "functions" namespace, without its "# Tools" heading.</summary>
    public static void Append(StringBuilder sb, IReadOnlyList<ChatTool> tools)
    {
        sb.Append("## functions\n\nnamespace functions {\n\n");
        foreach (var tool in tools)
        {
            foreach (var line in Lines(tool.Function.Description ?? "")) sb.Append("// ").Append(line).Append('\n');
            sb.Append("type ").Append(tool.Function.Name).Append(" = ");
            sb.Append(tool.Function.Parameters is { } parameters ? $"(_: {TypeScript(parameters, "")}) => any;\n" : "() => any;\n");
            sb.Append('\n');
        }
        sb.Append("} // namespace functions");
    }

    // Rust's str::lines: split at '\n', drop one '\r' before it, no empty last line.
    private static IEnumerable<string> Lines(string text)
    {
        var lines = text.Split('\n');
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++) yield return lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
    }

    /// <summary>json_schema_to_typescript(schema, indent).</summary>
    internal static string TypeScript(JsonElement schema, string indent)
    {
        if (Member(schema, "oneOf") is { ValueKind: JsonValueKind.Array } oneOf)
        {
            var sb = new StringBuilder();
            foreach (var variant in oneOf.EnumerateArray())
            {
                sb.Append('\n').Append(indent).Append(" | ");
                sb.Append(WithNull(variant, TypeScript(variant, indent + "   ")));
                var comments = new List<string>();
                if (String(variant, "description") is { } description) comments.Add(description);
                if (Member(variant, "default") is { } value) comments.Add(DefaultComment(value, IsEnum(variant)));
                if (comments.Count > 0) sb.Append(" // ").AppendJoin(' ', comments);
            }
            return sb.ToString();
        }
        if (Member(schema, "type") is { ValueKind: JsonValueKind.Array } types)
        {
            var names = types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String)
                .Select(t => t.GetString() == "integer" ? "number" : t.GetString()!).ToList();
            if (names.Count > 0) return string.Join(" | ", names);
        }
        return String(schema, "type") switch
        {
            "object" => ObjectType(schema, indent),
            "string" => Member(schema, "enum") is { ValueKind: JsonValueKind.Array } values
                        && values.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => $"\"{v.GetString()}\"").ToList() is { Count: > 0 } quoted
                ? string.Join(" | ", quoted)
                : "string",
            "number" or "integer" => "number",
            "boolean" => "boolean",
            "array" => Member(schema, "items") is { } items ? TypeScript(items, indent) + "[]" : "Array<any>",
            _ => "any",
        };
    }

    private static string ObjectType(JsonElement schema, string indent)
    {
        var sb = new StringBuilder();
        if (String(schema, "description") is { } description) sb.Append(indent).Append("// ").Append(description).Append('\n');
        sb.Append("{\n");
        if (Member(schema, "properties") is { ValueKind: JsonValueKind.Object } properties)
        {
            var required = Member(schema, "required") is { ValueKind: JsonValueKind.Array } r
                ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal)
                : [];
            foreach (var property in properties.EnumerateObject())
            {
                var key = property.Name;
                var value = property.Value;
                var optional = required.Contains(key) ? "" : "?";
                if (String(value, "title") is { } title) sb.Append(indent).Append("// ").Append(title).Append('\n').Append(indent).Append("//\n");
                var oneOf = Member(value, "oneOf");
                if (oneOf is null && String(value, "description") is { } propertyDescription)
                    sb.Append(indent).Append("// ").Append(propertyDescription).Append('\n');
                if (Member(value, "examples") is { ValueKind: JsonValueKind.Array } examples && examples.GetArrayLength() > 0)
                {
                    sb.Append(indent).Append("// Examples:\n");
                    foreach (var example in examples.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String))
                        sb.Append(indent).Append("// - \"").Append(example.GetString()).Append("\"\n");
                }
                if (oneOf is { ValueKind: JsonValueKind.Array } variants)
                {
                    AppendOneOfProperty(sb, indent, key + optional, value, variants);
                    continue;
                }
                sb.Append(indent).Append(key).Append(optional).Append(": ");
                sb.Append(WithNull(value, TypeScript(value, indent + "    "))).Append(',');
                if (oneOf is null && Member(value, "default") is { } defaultValue)
                    sb.Append(" // ").Append(DefaultComment(defaultValue, IsEnum(value)));
                sb.Append('\n');
            }
        }
        return sb.Append(indent).Append('}').ToString();
    }

    // A property whose schema is a oneOf: comments above, then one " | variant" line per variant.
    private static void AppendOneOfProperty(StringBuilder sb, string indent, string name, JsonElement value, JsonElement variants)
    {
        var propertyDescription = String(value, "description");
        var firstVariantDescription = variants.GetArrayLength() > 0 ? String(variants[0], "description") : null;
        var describedAbove = propertyDescription is not null && propertyDescription != firstVariantDescription;
        if (describedAbove) sb.Append(indent).Append("// ").Append(propertyDescription).Append('\n');
        if (Member(value, "default") is { } defaultValue)
            sb.Append(indent).Append("// ").Append(DefaultComment(defaultValue, IsEnum(value))).Append('\n');
        sb.Append(indent).Append(name).Append(":\n");
        var i = 0;
        foreach (var variant in variants.EnumerateArray())
        {
            sb.Append(indent).Append(" | ").Append(WithNull(variant, TypeScript(variant, indent + "   ")));
            var comments = new List<string>();
            if (!(i == 0 && describedAbove) && String(variant, "description") is { } description && description != propertyDescription)
                comments.Add(description);
            if (Member(variant, "default") is { } variantDefault) comments.Add(DefaultComment(variantDefault, IsEnum(variant)));
            if (comments.Count > 0) sb.Append(" // ").AppendJoin(' ', comments);
            sb.Append('\n');
            i++;
        }
        sb.Append(indent).Append(",\n");
    }

    // "default: ..." — a string in quotes (bare for an enum), anything else as compact JSON (serde_json's Display).
    private static string DefaultComment(JsonElement value, bool isEnum) => value.ValueKind == JsonValueKind.String
        ? isEnum ? $"default: {value.GetString()}" : $"default: \"{value.GetString()}\""
        : $"default: {JsonText.ToCompactJson(value)}";

    private static string WithNull(JsonElement schema, string type) =>
        Member(schema, "nullable") is { ValueKind: JsonValueKind.True } && !type.Contains("null", StringComparison.Ordinal) ? type + " | null" : type;

    private static bool IsEnum(JsonElement schema) => Member(schema, "enum") is { ValueKind: JsonValueKind.Array } values && values.GetArrayLength() > 0;

    private static JsonElement? Member(JsonElement schema, string name) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(name, out var value) ? value : null;

    private static string? String(JsonElement schema, string name) =>
        Member(schema, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
