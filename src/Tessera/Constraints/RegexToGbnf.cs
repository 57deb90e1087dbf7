// The JSON-string form of a regular expression's language, for JSON Schema `pattern` (ECMA-262 syntax, common cases):
// literals, escapes (\d \w \s and their negations, \uHHHH, escaped punctuation), classes, `.`, groups, `|`, and
// `* + ? {m} {m,} {m,n}` (lazy forms match the same strings). A pattern is a search, so unanchored ends admit any
// text. Characters are generated as JSON writes them (`"` as \", `\` as \\); other control characters are left out.
// Look-around, back-references, word boundaries and anchors inside the pattern are refused.

using System.Globalization;
using System.Text;

namespace Tessera.Constraints;

internal sealed class RegexToGbnf
{
    private static readonly CharSet Plain = CharSet.FromRanges([(0x20, 0x21), (0x23, 0x5B), (0x5D, CharSet.MaxCodePoint)]);
    private static readonly CharSet Digits = CharSet.FromRanges([('0', '9')]);
    private static readonly CharSet Word = CharSet.FromRanges([('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]);
    private static readonly CharSet Space = CharSet.FromRanges([(' ', ' '), ('\t', '\r'), (0xA0, 0xA0), (0x2028, 0x2029), (0xFEFF, 0xFEFF)]);

    private readonly string _p;
    private readonly string _path;
    private int _pos;

    private RegexToGbnf(string pattern, string path)
    {
        _p = pattern;
        _path = path;
    }

    public static string Convert(string pattern, string path)
    {
        var start = pattern.StartsWith('^') ? 1 : 0;
        var end = pattern.Length;
        var anchoredEnd = end > start && pattern[end - 1] == '$' && (end < 2 || pattern[end - 2] != '\\');
        if (anchoredEnd) end--;
        var r = new RegexToGbnf(pattern[start..end], path);
        var body = r.Alternation();
        if (r._pos < r._p.Length) throw r.Error($"unexpected `{r._p[r._pos]}`");
        return (start == 0 ? "jchar* " : "") + "(" + body + ")" + (anchoredEnd ? "" : " jchar*");
    }

    private string Alternation()
    {
        var alts = new List<string> { Sequence() };
        while (_pos < _p.Length && _p[_pos] == '|')
        {
            _pos++;
            alts.Add(Sequence());
        }
        return string.Join(" | ", alts);
    }

    private string Sequence()
    {
        var items = new List<string>();
        while (_pos < _p.Length && _p[_pos] is not ('|' or ')'))
        {
            var atom = Atom();
            items.Add(Quantified(atom));
        }
        return items.Count == 0 ? "\"\"" : string.Join(" ", items);
    }

    private string Quantified(string atom)
    {
        if (_pos >= _p.Length) return atom;
        string? q = _p[_pos] switch
        {
            '*' => "*",
            '+' => "+",
            '?' => "?",
            '{' => Braces(),
            _ => null,
        };
        if (q is null) return atom;
        if (q is "*" or "+" or "?") _pos++;   // Braces() moved past its own text
        if (_pos < _p.Length && _p[_pos] == '?') _pos++;   // lazy: same language
        if (_pos < _p.Length && _p[_pos] is '*' or '+' or '?' or '{') throw Error("a quantifier cannot follow a quantifier");
        return $"({atom}){q}";
    }

    private string? Braces()
    {
        var close = _p.IndexOf('}', _pos);
        if (close < 0) return null;
        var inside = _p[(_pos + 1)..close];
        var parts = inside.Split(',');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var min)) return null;
        var max = min;
        if (parts.Length == 2 && !(parts[1].Length == 0 ? (max = -1) == -1 : int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out max))) return null;
        if (min > 1000 || max > 1000) throw Error("repetition counts above 1000 are not supported");
        _pos = close + 1;
        return max < 0 ? $"{{{min},}}" : $"{{{min},{max}}}";
    }

    private string Atom()
    {
        var c = _p[_pos];
        switch (c)
        {
            case '(':
                _pos++;
                if (_pos < _p.Length && _p[_pos] == '?')
                {
                    if (_pos + 1 < _p.Length && _p[_pos + 1] == ':') _pos += 2;
                    else throw Error("look-around and named groups are not supported");
                }
                var inner = Alternation();
                if (_pos >= _p.Length || _p[_pos] != ')') throw Error("`(` is never closed");
                _pos++;
                return $"({inner})";
            case '[':
                return Json(Class());
            case '.':
                _pos++;
                return Json(CharSet.FromRanges([('\n', '\n'), ('\r', '\r'), (0x2028, 0x2029)], negated: true));
            case '\\':
                return Json(Escape(inClass: false));
            case '*' or '+' or '?' or '{':
                throw Error($"`{c}` has nothing to repeat");
            case '^' or '$':
                throw Error($"anchor `{c}` inside the pattern is not supported");
            default:
                var cp = char.ConvertToUtf32(_p, _pos);
                _pos += char.IsSurrogatePair(_p, _pos) ? 2 : 1;
                return Json(CharSet.Single(cp));
        }
    }

    private CharSet Class()
    {
        _pos++;   // [
        var negated = _pos < _p.Length && _p[_pos] == '^';
        if (negated) _pos++;
        var ranges = new List<(int, int)>();
        var first = true;
        while (true)
        {
            if (_pos >= _p.Length) throw Error("`[` is never closed");
            if (_p[_pos] == ']' && !first) { _pos++; break; }
            first = false;
            var lo = ClassAtom();
            if (_pos + 1 < _p.Length && _p[_pos] == '-' && _p[_pos + 1] != ']' && lo.Single is { } a)
            {
                _pos++;
                var hi = ClassAtom();
                if (hi.Single is not { } b || b < a) throw Error("bad range in a character class");
                ranges.Add((a, b));
            }
            else ranges.AddRange(lo.Set.Ranges);
        }
        return CharSet.FromRanges(ranges, negated);
    }

    private (CharSet Set, int? Single) ClassAtom()
    {
        if (_p[_pos] == '\\')
        {
            var set = Escape(inClass: true);
            var r = set.Ranges.ToList();
            return (set, r.Count == 1 && r[0].Lo == r[0].Hi ? r[0].Lo : null);
        }
        var cp = char.ConvertToUtf32(_p, _pos);
        _pos += char.IsSurrogatePair(_p, _pos) ? 2 : 1;
        return (CharSet.Single(cp), cp);
    }

    private CharSet Escape(bool inClass)
    {
        if (_pos + 1 >= _p.Length) throw Error("`\\` at the end of the pattern");
        var e = _p[_pos + 1];
        _pos += 2;
        switch (e)
        {
            case 'd': return Digits;
            case 'D': return CharSet.FromRanges(Digits.Ranges, negated: true);
            case 'w': return Word;
            case 'W': return CharSet.FromRanges(Word.Ranges, negated: true);
            case 's': return Space;
            case 'S': return CharSet.FromRanges(Space.Ranges, negated: true);
            case 'n': return CharSet.Single('\n');
            case 'r': return CharSet.Single('\r');
            case 't': return CharSet.Single('\t');
            case 'f': return CharSet.Single('\f');
            case 'v': return CharSet.Single('\v');
            case 'b' when inClass: return CharSet.Single('\b');
            case 'u' or 'x':
                var digits = e == 'u' ? 4 : 2;
                if (_pos + digits > _p.Length || !int.TryParse(_p.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
                    throw Error($"`\\{e}` needs {digits} hexadecimal digits");
                _pos += digits;
                return CharSet.Single(v);
            default:
                if (char.IsAsciiLetterOrDigit(e)) throw Error($"escape `\\{e}` is not supported");
                return CharSet.Single(e);
        }
    }

    // GBNF for one character of `set` as it appears inside a JSON string.
    private static string Json(CharSet set)
    {
        var alts = new List<string>();
        var plain = set.Intersect(Plain);
        if (!plain.IsEmpty) alts.Add(ClassText(plain));
        foreach (var (cp, text) in new[] { ('"', "\\\""), ('\\', "\\\\"), ('\n', "\\n"), ('\r', "\\r"), ('\t', "\\t"), ('\f', "\\f"), ('\b', "\\b") })
            if (set.Contains(cp)) alts.Add(JsonSchemaToGbnf.Literal(text));
        return alts.Count switch
        {
            0 => throw new GrammarException("JSON schema pattern: a character class admits no character that can be generated") { Keyword = "pattern" },
            1 => alts[0],
            _ => "(" + string.Join(" | ", alts) + ")",
        };
    }

    private static string ClassText(CharSet set)
    {
        var sb = new StringBuilder("[");
        foreach (var (lo, hi) in set.Ranges)
        {
            sb.Append(Hex(lo));
            if (hi > lo) sb.Append('-').Append(Hex(hi));
        }
        return sb.Append(']').ToString();
    }

    private static string Hex(int cp) => cp <= 0xFFFF ? $"\\u{cp:X4}" : $"\\U{cp:X8}";

    private GrammarException Error(string message) =>
        new($"JSON schema at {_path}: pattern `{_p}`: {message} (at character {_pos + 1})") { Keyword = "pattern" };
}
