// The `namespace functions { ... }` block of the developer message exactly as the gpt-oss chat template writes it
// (macros render_tool_namespace and render_typescript_type, with trim_blocks and lstrip_blocks), quirks included:
// a nested object's members start on a new line indented by 16 spaces, a oneOf variant's default by 20 spaces, and
// " | " between oneOf variants is followed by a newline. gpt-oss-facts.md §6.

using System.Text;
using System.Text.Json;
using static Tessera.Chat.Harmony.JinjaValue;

namespace Tessera.Chat.Harmony;

internal static class TemplateToolNamespace
{
    private const string NestedMemberBreak = "\n                ";  // the text between `{{- ": " }}` and `{{ render_typescript_type(...) }}`
    private const string VariantDefaultIndent = "                    ";  // the text before `{{ "// default: " ... }}`

    /// <summary>render_tool_namespace("functions", tools).</summary>
    public static void Append(StringBuilder sb, IReadOnlyList<ChatTool> tools)
    {
        sb.Append("## functions\n\nnamespace functions {\n\n");
        foreach (var tool in tools)
        {
            var function = tool.Function;
            sb.Append("// ").Append(function.Description ?? "").Append('\n');
            sb.Append("type ").Append(function.Name).Append(" = ");
            var properties = Get(function.Parameters, "properties");
            if (Truthy(function.Parameters) && Truthy(properties) && properties!.Value.ValueKind == JsonValueKind.Object)
            {
                var required = Get(function.Parameters, "required");
                sb.Append("(_: {\n");
                foreach (var parameter in properties.Value.EnumerateObject())
                {
                    var spec = parameter.Value;
                    if (Truthy(Get(spec, "description"))) sb.Append("// ").Append(Concat(Get(spec, "description")!.Value)).Append('\n');
                    sb.Append(parameter.Name);
                    if (!IsRequired(parameter.Name, required)) sb.Append('?');
                    sb.Append(": ").Append(TypeScriptType(spec));
                    if (Get(spec, "default") is { } value)
                    {
                        if (Truthy(Get(spec, "enum"))) sb.Append(", // default: ").Append(Concat(value));
                        else if (Truthy(Get(spec, "oneOf"))) sb.Append("// default: ").Append(Concat(value));
                        else sb.Append(", // default: ").Append(JsonText.ToJinjaJson(value));
                    }
                    sb.Append(",\n");
                }
                sb.Append("}) => any;\n\n");
            }
            else
            {
                sb.Append("() => any;\n\n");
            }
        }
        sb.Append("} // namespace functions");
    }

    // `name not in (required or [])`
    private static bool IsRequired(string name, JsonElement? required) => Truthy(required) && Contains(required, name);

    /// <summary>render_typescript_type(spec).</summary>
    internal static string TypeScriptType(JsonElement spec)
    {
        var type = Get(spec, "type");
        var nullable = Truthy(Get(spec, "nullable"));
        if (Is(type, "array"))
        {
            var items = Get(spec, "items");
            if (!Truthy(items)) return nullable ? "any[] | null" : "any[]";
            var itemType = Get(items, "type");
            string array;
            if (Is(itemType, "string")) array = "string[]";
            else if (Is(itemType, "number") || Is(itemType, "integer")) array = "number[]";
            else if (Is(itemType, "boolean")) array = "boolean[]";
            else
            {
                var inner = TypeScriptType(items!.Value);
                array = inner == "object | object" || inner.Length > 50 ? "any[]" : inner + "[]";
            }
            return nullable ? array + " | null" : array;
        }
        if (type is { ValueKind: JsonValueKind.Array } types && types.GetArrayLength() > 0)
        {
            // A list of types, e.g. ["string", "null"] from Optional[str].
            return types.GetArrayLength() > 1 ? Join(types, " | ") : Text(types[0]);
        }
        if (Truthy(Get(spec, "oneOf")))
        {
            // The template sets has_object_variants inside its loop, and a Jinja loop does not leak assignments, so
            // its "any" fallback for object variants never fires: every variant is rendered.
            var oneOf = Get(spec, "oneOf")!.Value;
            if (oneOf.ValueKind != JsonValueKind.Array) return "any";
            var sb = new StringBuilder();
            var count = oneOf.GetArrayLength();
            for (var i = 0; i < count; i++)
            {
                var variant = oneOf[i];
                sb.Append(TypeScriptType(variant));
                if (Truthy(Get(variant, "description"))) sb.Append("// ").Append(Concat(Get(variant, "description")!.Value));
                if (Get(variant, "default") is { } value)
                    sb.Append(VariantDefaultIndent).Append("// default: ").Append(JsonText.ToJinjaJson(value));
                if (i < count - 1) sb.Append(" | \n");
            }
            return sb.ToString();
        }
        if (Is(type, "string"))
        {
            var values = Get(spec, "enum");
            if (Truthy(values)) return "\"" + Join(values!.Value, "\" | \"") + "\"";
            return nullable ? "string | null" : "string";
        }
        if (Is(type, "number") || Is(type, "integer")) return "number";
        if (Is(type, "boolean")) return "boolean";
        if (Is(type, "object"))
        {
            var properties = Get(spec, "properties");
            if (!Truthy(properties) || properties!.Value.ValueKind != JsonValueKind.Object) return "object";
            var required = Get(spec, "required");
            var sb = new StringBuilder("{\n");
            var first = true;
            foreach (var property in properties.Value.EnumerateObject())
            {
                if (!first) sb.Append(", ");
                first = false;
                sb.Append(property.Name);
                if (!IsRequired(property.Name, required)) sb.Append('?');
                sb.Append(": ").Append(NestedMemberBreak).Append(TypeScriptType(property.Value));
            }
            return sb.Append('}').ToString();
        }
        return "any";
    }
}
