// JSON Schema (draft 2020-12 subset, as OpenAI structured outputs and Microsoft.Extensions.AI write it) to GBNF. Each
// schema becomes a rule; $ref targets become rules once, so recursive schemas work. What the compiler cannot enforce
// exactly it refuses, naming the keyword. Where exact enforcement would be costly it generates a subset that always
// validates: properties in the schema's order, no additional properties, numbers with at most 16 integer and 16
// fraction digits, bounded numbers as integers, \u escapes only of valid code points (surrogates only in pairs), and the first minLength characters of a string plain ASCII (validators
// count graphemes, and ASCII characters never merge into one).

using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tessera.Constraints;

internal sealed class JsonSchemaToGbnf
{
    private const int MaxDigits = 16;

    // Compact JSON with a little optional whitespace, as llama.cpp's json-schema-to-grammar allows.
    private const string Primitives = """
        ws ::= | " " | "\n" [ \t]{0,20}
        jchar ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-CefEF] hex{3} | [dD] [0-7] hex{2} | [dD] [89abAB] hex{2} "\\u" [dD] [c-fC-F] hex{2}))
        hex ::= [0-9a-fA-F]
        jasciichar ::= [ !#-\[\]-~] | "\\" (["\\/bfnt])
        jstring ::= "\"" jchar* "\""
        jint ::= "-"? ("0" | [1-9] [0-9]{0,15})
        jnumber ::= jint ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?
        jboolean ::= "true" | "false"
        jnull ::= "null"
        jvalue ::= jobject | jarray | jstring | jnumber | jboolean | jnull
        jobject ::= "{" ws (jstring ws ":" ws jvalue ws ("," ws jstring ws ":" ws jvalue ws)*)? "}"
        jarray ::= "[" ws (jvalue ws ("," ws jvalue ws)*)? "]"

        """;

    public static string AnyJsonObjectGbnf => "root ::= jobject\n" + Primitives;

    private static readonly HashSet<string> Annotations =
    [
        "$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples", "readOnly", "writeOnly",
        "deprecated", "$defs", "definitions", "contentEncoding", "contentMediaType", "nullable", "strict",
    ];

    private readonly JsonElement _root;
    private readonly StringBuilder _rules = new();
    private readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private JsonSchemaToGbnf(JsonElement root) => _root = root;

    public static string Convert(string schemaJson)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(schemaJson); }
        catch (JsonException e) { throw new GrammarException($"the JSON schema is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var c = new JsonSchemaToGbnf(doc.RootElement);
            var root = c.Schema(doc.RootElement, "#", "root");
            return $"root ::= {root}\n" + c._rules + Primitives;
        }
    }

    // A GBNF expression (usually a rule name) for the values `schema` accepts.
    private string Schema(JsonElement schema, string path, string hint)
    {
        if (schema.ValueKind == JsonValueKind.True) return "jvalue";
        if (schema.ValueKind == JsonValueKind.False) throw Unsupported(path, "false", "the schema `false` accepts no value");
        if (schema.ValueKind != JsonValueKind.Object) throw Unsupported(path, "schema", "a schema must be an object or a boolean");

        var keys = schema.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in keys)
            if (!Annotations.Contains(key) && !Known.Contains(key))
                throw Unsupported(path, key, $"keyword `{key}` is not supported");

        if (schema.TryGetProperty("$ref", out var reference))
        {
            if (keys.Except(Annotations).Count() > 1)
                throw Unsupported(path, "$ref", "`$ref` beside other constraints is not supported");
            return Ref(reference, path);
        }
        if (schema.TryGetProperty("const", out var constant)) return Literal(constant.GetRawText());
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                throw Unsupported(path, "enum", "`enum` must be a non-empty array");
            return Rule(hint, string.Join(" | ", values.EnumerateArray().Select(v => Literal(v.GetRawText()))));
        }
        if (schema.TryGetProperty("anyOf", out var anyOf)) return Alternatives(anyOf, path, "anyOf", hint);
        if (schema.TryGetProperty("oneOf", out _))
            throw Unsupported(path, "oneOf", "`oneOf` is not supported (a value matching two branches would be invalid); use `anyOf`");
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() != 1)
                throw Unsupported(path, "allOf", "`allOf` is supported only with a single schema");
            return Schema(allOf[0], path + "/allOf/0", hint);
        }

        if (!schema.TryGetProperty("type", out var type))
        {
            // No type: infer it from the keywords that imply one, else any value.
            if (keys.Overlaps(["properties", "required", "additionalProperties"])) return Typed(schema, "object", path, hint);
            if (keys.Overlaps(["items", "minItems", "maxItems"])) return Typed(schema, "array", path, hint);
            if (keys.Overlaps(["minLength", "maxLength", "pattern", "format"])) return Typed(schema, "string", path, hint);
            if (keys.Overlaps(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])) return Typed(schema, "number", path, hint);
            return "jvalue";
        }
        if (type.ValueKind == JsonValueKind.String) return Typed(schema, type.GetString()!, path, hint);
        if (type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0)
            return Rule(hint, string.Join(" | ", type.EnumerateArray().Select(t =>
                t.ValueKind == JsonValueKind.String ? Typed(schema, t.GetString()!, path, hint + "-" + t.GetString())
                : throw Unsupported(path, "type", "`type` entries must be strings"))));
        throw Unsupported(path, "type", "`type` must be a string or an array of strings");
    }

    private static readonly HashSet<string> Known =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
        "items", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum",
    ];

    private string Typed(JsonElement schema, string type, string path, string hint) => type switch
    {
        "object" => Object(schema, path, hint),
        "array" => Array(schema, path, hint),
        "string" => String(schema, path, hint),
        "integer" => Number(schema, path, hint, integer: true),
        "number" => Number(schema, path, hint, integer: false),
        "boolean" => "jboolean",
        "null" => "jnull",
        _ => throw Unsupported(path, "type", $"type `{type}` is not a JSON Schema type"),
    };

    private string Object(JsonElement schema, string path, string hint)
    {
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array) throw Unsupported(path, "required", "`required` must be an array of names");
            foreach (var r in req.EnumerateArray()) required.Add(r.GetString() ?? throw Unsupported(path, "required", "`required` must hold strings"));
        }
        var properties = new List<(string Name, string Value, bool Required)>();
        if (schema.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind != JsonValueKind.Object) throw Unsupported(path, "properties", "`properties` must be an object");
            foreach (var p in props.EnumerateObject())
                properties.Add((p.Name, Schema(p.Value, $"{path}/properties/{p.Name}", $"{hint}-{p.Name}"), required.Contains(p.Name)));
        }
        foreach (var name in required)
            if (!properties.Any(p => p.Name == name)) properties.Add((name, "jvalue", true));

        if (properties.Count == 0)
        {
            // A map: any keys, values of additionalProperties' schema (or anything).
            if (!schema.TryGetProperty("additionalProperties", out var extra) || extra.ValueKind == JsonValueKind.True) return "jobject";
            if (extra.ValueKind == JsonValueKind.False) return "\"{\" ws \"}\"";
            var value = Schema(extra, path + "/additionalProperties", hint + "-value");
            var kv = $"jstring ws \":\" ws {value} ws";
            return Rule(hint, $"\"{{\" ws ({kv} (\",\" ws {kv})*)? \"}}\"");
        }

        // first_i: no property written yet, next candidate i; rest_i: some written, next candidate i.
        var n = properties.Count;
        var kvs = properties.Select(p => $"{Literal("\"" + JsonEncodedText.Encode(p.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"")} ws \":\" ws {p.Value} ws").ToArray();
        var restNames = new string[n + 1];
        restNames[n] = "";
        for (var i = n - 1; i >= 0; i--)
        {
            var item = $"\",\" ws {kvs[i]}";
            var body = properties[i].Required ? $"{item} {restNames[i + 1]}" : $"({item})? {restNames[i + 1]}";
            restNames[i] = Rule($"{hint}-rest{i}", body.Trim());
        }
        var first = "";
        for (var i = n - 1; i >= 0; i--)
        {
            var take = $"{kvs[i]} {restNames[i + 1]}".Trim();
            first = properties[i].Required ? take : $"{take}{(first.Length > 0 ? " | " + first : " | \"\"")}";
            first = Rule($"{hint}-first{i}", first);
        }
        return Rule(hint, $"\"{{\" ws {first} \"}}\"");
    }

    private string Array(JsonElement schema, string path, string hint)
    {
        var item = schema.TryGetProperty("items", out var items) ? Schema(items, path + "/items", hint + "-item") : "jvalue";
        var min = Count(schema, "minItems", path) ?? 0;
        var max = Count(schema, "maxItems", path);
        if (max < min) throw Unsupported(path, "maxItems", "`maxItems` is below `minItems`");
        if (max == 0) return "\"[\" ws \"]\"";
        var more = max is { } m ? $"(\",\" ws {item} ws){{{Math.Max(min - 1, 0)},{m - 1}}}" : min > 1 ? $"(\",\" ws {item} ws){{{min - 1},}}" : $"(\",\" ws {item} ws)*";
        var inner = $"{item} ws {more}";
        return Rule(hint, min > 0 ? $"\"[\" ws {inner} \"]\"" : $"\"[\" ws ({inner})? \"]\"");
    }

    private string String(JsonElement schema, string path, string hint)
    {
        var min = Count(schema, "minLength", path) ?? 0;
        var max = Count(schema, "maxLength", path);
        if (max < min) throw Unsupported(path, "maxLength", "`maxLength` is below `minLength`");
        if (schema.TryGetProperty("format", out var format))
        {
            if (schema.TryGetProperty("pattern", out _) || min > 0 || max is not null)
                throw Unsupported(path, "format", "`format` together with `pattern`, `minLength` or `maxLength` is not supported");
            return Rule(hint, "\"\\\"\" " + Format(format.GetString(), path) + " \"\\\"\"");
        }
        if (schema.TryGetProperty("pattern", out var pattern))
        {
            if (min > 0 || max is not null)
                throw Unsupported(path, "pattern", "`pattern` together with `minLength` or `maxLength` is not supported");
            return Rule(hint, "\"\\\"\" " + RegexToGbnf.Convert(pattern.GetString() ?? "", path) + " \"\\\"\"");
        }
        if (min == 0 && max is null) return "jstring";
        var head = min > 0 ? $"jasciichar{{{min}}} " : "";
        var tail = max is { } m ? (m > min ? $"jchar{{0,{m - min}}}" : "") : "jchar*";
        return Rule(hint, $"\"\\\"\" {head}{tail} \"\\\"\"");
    }

    // Days 01-28 only, so that every generated date exists.
    private const string Date = "[0-9]{4} \"-\" (\"0\" [1-9] | \"1\" [0-2]) \"-\" (\"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8])";
    private const string Time = "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] \"Z\"";

    private static string Format(string? format, string path) => format switch
    {
        "date" => Date,
        "time" => Time,
        "date-time" => $"{Date} \"T\" {Time}",
        "uuid" => "hex{8} \"-\" hex{4} \"-\" hex{4} \"-\" hex{4} \"-\" hex{12}",
        _ => throw Unsupported(path, "format", $"string format `{format}` is not supported (date, time, date-time and uuid are)"),
    };

    private string Number(JsonElement schema, string path, string hint, bool integer)
    {
        decimal? lo = Bound(schema, "minimum", path), hi = Bound(schema, "maximum", path);
        var exLo = Bound(schema, "exclusiveMinimum", path);
        var exHi = Bound(schema, "exclusiveMaximum", path);
        if (lo is null && hi is null && exLo is null && exHi is null) return integer ? "jint" : "jnumber";
        // Bounded numbers are generated as integers in the bounds: always valid, and exact for integer schemas.
        var min = long.MinValue;
        var max = long.MaxValue;
        if (lo is { } a) min = Math.Max(min, (long)Math.Ceiling(a));
        if (exLo is { } b) min = Math.Max(min, (long)Math.Floor(b) + 1);
        if (hi is { } c) max = Math.Min(max, (long)Math.Floor(c));
        if (exHi is { } d) max = Math.Min(max, (long)Math.Ceiling(d) - 1);
        var limit = (long)Math.Pow(10, MaxDigits) - 1;
        if (min == long.MinValue) min = Math.Min(-limit, max);
        if (max == long.MaxValue) max = Math.Max(limit, min);
        if (min > max) throw Unsupported(path, lo is null ? "exclusiveMinimum" : "minimum", $"no {(integer ? "integer" : "integral number")} lies within the bounds (minimum/exclusiveMinimum above maximum/exclusiveMaximum)");
        return Rule(hint, IntegerRange.Gbnf(min, max));
    }

    private static decimal? Bound(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var value) || Math.Abs(value) > long.MaxValue / 2)
            throw Unsupported(path, keyword, $"`{keyword}` must be a number of moderate size");
        return value;
    }

    private static int? Count(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 0 || n > 10_000)
            throw Unsupported(path, keyword, $"`{keyword}` must be an integer from 0 to 10000");
        return n;
    }

    private string Alternatives(JsonElement list, string path, string keyword, string hint)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw Unsupported(path, keyword, $"`{keyword}` must be a non-empty array of schemas");
        var alts = list.EnumerateArray().Select((s, i) => Schema(s, $"{path}/{keyword}/{i}", $"{hint}-{i}")).ToList();
        return Rule(hint, string.Join(" | ", alts));
    }

    private string Ref(JsonElement reference, string path)
    {
        var target = reference.GetString() ?? "";
        if (_refRules.TryGetValue(target, out var name)) return name;
        if (!target.StartsWith('#')) throw Unsupported(path, "$ref", $"`$ref` to `{target}`: only references inside the schema (#/...) are supported");
        var node = _root;
        foreach (var raw in target[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(part, out var child)) node = child;
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(part, CultureInfo.InvariantCulture, out var i) && i < node.GetArrayLength()) node = node[i];
            else throw Unsupported(path, "$ref", $"`$ref` target `{target}` does not exist");
        }
        name = NewName("ref-" + target[1..]);
        _refRules[target] = name;   // before compiling the target, so that it may refer to itself
        var body = Schema(node, target, name + "-body");
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private string Rule(string hint, string body)
    {
        var name = NewName(hint);
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private string NewName(string hint)
    {
        var sb = new StringBuilder();
        foreach (var ch in hint) sb.Append(char.IsAsciiLetterOrDigit(ch) || ch == '-' ? ch : '-');
        var stem = sb.Length > 0 ? sb.ToString() : "r";
        if (stem.Length > 60) stem = stem[..60];
        var name = stem;
        for (var i = 2; !_names.Add(name) || name is "root" or "ws" or "jchar" or "hex" or "jasciichar" or "jstring" or "jint" or "jnumber" or "jboolean" or "jnull" or "jvalue" or "jobject" or "jarray"; i++)
            name = $"{stem}-{i}";
        return name;
    }

    /// <summary>A GBNF string literal for <paramref name="text"/>.</summary>
    internal static string Literal(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in text)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\x").Append(((int)ch).ToString("X2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static GrammarException Unsupported(string path, string keyword, string message) =>
        new($"JSON schema at {path}: {message}") { Keyword = keyword };
}
