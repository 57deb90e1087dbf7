// JSON text as the gpt-oss prompt needs it: Jinja's `tojson` (Python json.dumps with ensure_ascii=False: ", " and ": "
// separators, non-ASCII kept) and the compact form (JSON.stringify, serde_json) of the harmony format guide.
// Strings are escaped as JSON.stringify does: \" \\ \b \f \n \r \t, other controls and lone surrogates as \uxxxx.

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tessera.Chat;

internal static class JsonText
{
    /// <summary>Jinja <c>tojson</c> of a value: <c>{"a": 1, "b": [1, 2]}</c>.</summary>
    public static string ToJinjaJson(JsonElement value) => Write(new StringBuilder(), value, ", ", ": ").ToString();

    /// <summary>Compact JSON: <c>{"a":1,"b":[1,2]}</c>. Members keep their order; numbers keep their source text.</summary>
    public static string ToCompactJson(JsonElement value) => Write(new StringBuilder(), value, ",", ":").ToString();

    /// <summary>A JSON string literal of <paramref name="text"/> (what <c>tojson</c> makes of a string).</summary>
    public static string Quote(string text) => AppendQuoted(new StringBuilder(text.Length + 2), text).ToString();

    private static StringBuilder Write(StringBuilder sb, JsonElement value, string itemSeparator, string keySeparator)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                sb.Append('{');
                var firstMember = true;
                foreach (var member in value.EnumerateObject())
                {
                    if (!firstMember) sb.Append(itemSeparator);
                    firstMember = false;
                    AppendQuoted(sb, member.Name).Append(keySeparator);
                    Write(sb, member.Value, itemSeparator, keySeparator);
                }
                return sb.Append('}');
            case JsonValueKind.Array:
                sb.Append('[');
                var firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem) sb.Append(itemSeparator);
                    firstItem = false;
                    Write(sb, item, itemSeparator, keySeparator);
                }
                return sb.Append(']');
            case JsonValueKind.String:
                return AppendQuoted(sb, value.GetString()!);
            case JsonValueKind.Number:
                return sb.Append(value.GetRawText());
            case JsonValueKind.True:
                return sb.Append("true");
            case JsonValueKind.False:
                return sb.Append("false");
            default:
                return sb.Append("null");
        }
    }

    private static StringBuilder AppendQuoted(StringBuilder sb, string text)
    {
        sb.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                // A pair is kept; a lone surrogate is escaped, as JSON.stringify does.
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    sb.Append(c).Append(text[++i]);
                else
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                continue;
            }
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"');
    }
}
