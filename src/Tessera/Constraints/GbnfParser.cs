// Reads GBNF, llama.cpp's grammar syntax (grammars/README.md): `name ::= alternatives` rules; "literals" and
// [character classes] with \n \r \t \\ \" \[ \] \- \^ \xHH \uHHHH \UHHHHHHHH escapes; `.`; ( groups ); `|`; `* + ?`
// and `{m}` `{m,}` `{m,n}` repetition; `#` comments. As in llama.cpp a newline ends a rule except after `::=` or `|` and
// inside parentheses. Repetitions become helper rules that recurse at their tail, so matching never grows the stack.

using System.Globalization;
using System.Text;

namespace Tessera.Constraints;

internal sealed class GbnfParser
{
    private const int MaxRepetition = 100_000;

    private readonly string _text;
    private int _pos;
    private readonly Dictionary<string, int> _ruleIds = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly List<List<List<(int Kind, int Arg)>>?> _rules = [];   // null until defined
    private readonly Dictionary<string, int> _firstUse = new(StringComparer.Ordinal);   // rule name → position of first reference
    private readonly List<CharSet> _charSets = [];
    private readonly Dictionary<CharSet, int> _charSetIds = [];
    private readonly Dictionary<string, int> _helperRules = new(StringComparer.Ordinal);   // structural key → helper rule

    private GbnfParser(string text) => _text = text;

    public static Grammar Parse(string text, string root)
    {
        var p = new GbnfParser(text);
        p.ParseRules();
        return p.Build(root);
    }

    private void ParseRules()
    {
        SkipSpace(newlines: true);
        if (_pos >= _text.Length) throw Error("the grammar is empty: it needs at least a rule `root ::= ...`");
        while (_pos < _text.Length)
        {
            var start = _pos;
            var name = ParseName("a rule name");
            SkipSpace(newlines: false);
            if (!Match("::=")) throw Error($"expected `::=` after rule name `{name}`");
            SkipSpace(newlines: true);
            var id = RuleId(name);
            if (_rules[id] is not null) throw Error($"rule `{name}` is defined twice", start);
            _rules[id] = ParseAlternatives(nested: false);
            if (_pos < _text.Length && _text[_pos] is not ('\n' or '\r'))
                throw Error($"unexpected `{_text[_pos]}` in rule `{name}`");
            SkipSpace(newlines: true);
        }
    }

    private List<List<(int, int)>> ParseAlternatives(bool nested)
    {
        var alternatives = new List<List<(int, int)>> { ParseSequence(nested) };
        while (_pos < _text.Length && _text[_pos] == '|')
        {
            _pos++;
            SkipSpace(newlines: true);
            alternatives.Add(ParseSequence(nested));
        }
        return alternatives;
    }

    private List<(int Kind, int Arg)> ParseSequence(bool nested)
    {
        var sequence = new List<(int Kind, int Arg)>();
        var lastStart = -1;   // where the last element (what a repetition operator applies to) begins in `sequence`
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            var elementStart = sequence.Count;
            if (c == '"')
            {
                _pos++;
                var any = false;
                while (true)
                {
                    if (_pos >= _text.Length || _text[_pos] is '\n' or '\r') throw Error("unterminated string literal");
                    if (_text[_pos] == '"') { _pos++; break; }
                    sequence.Add((Grammar.CharsKind, CharSetId(CharSet.Single(ParseChar()))));
                    any = true;
                }
                // A repetition applies to the whole literal; an empty literal leaves it nothing to repeat.
                lastStart = any ? elementStart : -1;
            }
            else if (c == '[')
            {
                sequence.Add((Grammar.CharsKind, CharSetId(ParseClass())));
                lastStart = elementStart;
            }
            else if (c == '.')
            {
                _pos++;
                sequence.Add((Grammar.CharsKind, CharSetId(CharSet.FromRanges([(0, CharSet.MaxCodePoint)]))));
                lastStart = elementStart;
            }
            else if (c == '(')
            {
                var open = _pos;
                _pos++;
                SkipSpace(newlines: true);
                var inner = ParseAlternatives(nested: true);
                if (_pos >= _text.Length || _text[_pos] != ')') throw Error("`(` is never closed", open);
                _pos++;
                sequence.Add((Grammar.RuleRefKind, HelperRule("group", inner)));
                lastStart = elementStart;
            }
            else if (IsNameChar(c))
            {
                var at = _pos;
                var name = ParseName("a rule name");
                var id = RuleId(name);
                _firstUse.TryAdd(name, at);
                sequence.Add((Grammar.RuleRefKind, id));
                lastStart = elementStart;
            }
            else if (c is '*' or '+' or '?' or '{')
            {
                if (lastStart < 0) throw Error($"`{c}` has nothing before it to repeat");
                var (min, max) = ParseRepetition();
                var item = sequence.GetRange(lastStart, sequence.Count - lastStart);
                sequence.RemoveRange(lastStart, item.Count);
                sequence.AddRange(Repeat(item, min, max));
                lastStart = -1;
            }
            else break;
            SkipSpace(newlines: nested);
        }
        return sequence;
    }

    private (int Min, int Max) ParseRepetition()
    {
        var c = _text[_pos++];
        switch (c)
        {
            case '*': return (0, -1);
            case '+': return (1, -1);
            case '?': return (0, 1);
        }
        var open = _pos - 1;
        SkipSpace(newlines: false);
        var min = ParseInt("a number after `{`");
        var max = min;
        SkipSpace(newlines: false);
        if (_pos < _text.Length && _text[_pos] == ',')
        {
            _pos++;
            SkipSpace(newlines: false);
            max = _pos < _text.Length && char.IsAsciiDigit(_text[_pos]) ? ParseInt("a number") : -1;
            SkipSpace(newlines: false);
        }
        if (_pos >= _text.Length || _text[_pos] != '}') throw Error("expected `}` to close the repetition", _pos < _text.Length ? _pos : open);
        _pos++;
        if (max >= 0 && max < min) throw Error($"repetition {{{min},{max}}} has its maximum below its minimum", open);
        return (min, max);
    }

    private int ParseInt(string what)
    {
        var start = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        if (_pos == start) throw Error($"expected {what}");
        if (!int.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > MaxRepetition)
            throw Error($"repetition count {_text[start.._pos]} is above the limit of {MaxRepetition}", start);
        return value;
    }

    // x{min,max} as min copies of x followed by the optional rest: x* for an open maximum, else a chain of nested
    // optionals (R_k ::= x R_(k-1) | empty) so that the stack stays flat.
    private List<(int, int)> Repeat(List<(int Kind, int Arg)> item, int min, int max)
    {
        var result = new List<(int, int)>();
        for (var i = 0; i < min; i++) result.AddRange(item);
        if (max < 0)
        {
            var star = NewRule("star");
            _rules[star] = [[.. item, (Grammar.RuleRefKind, star)], []];
            result.Add((Grammar.RuleRefKind, star));
            return result;
        }
        var rest = -1;
        for (var k = 1; k <= max - min; k++)
        {
            List<(int, int)> more = [.. item];
            if (rest >= 0) more.Add((Grammar.RuleRefKind, rest));
            rest = HelperRule("opt", [more, []]);
        }
        if (rest >= 0) result.Add((Grammar.RuleRefKind, rest));
        return result;
    }

    private CharSet ParseClass()
    {
        var open = _pos;
        _pos++;   // [
        var negated = _pos < _text.Length && _text[_pos] == '^';
        if (negated) _pos++;
        var ranges = new List<(int, int)>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] is '\n' or '\r') throw Error("`[` character class is never closed", open);
            if (_text[_pos] == ']') { _pos++; break; }
            var lo = ParseChar();
            var hi = lo;
            if (_pos + 1 < _text.Length && _text[_pos] == '-' && _text[_pos + 1] != ']')
            {
                var dash = _pos;
                _pos++;
                hi = ParseChar();
                if (hi < lo) throw Error($"character range {Show(lo)}-{Show(hi)} is reversed", dash);
            }
            ranges.Add((lo, hi));
        }
        var set = CharSet.FromRanges(ranges, negated);
        if (set.IsEmpty) throw Error("character class matches no character", open);
        return set;
    }

    // One character of a literal or class, escapes resolved; a surrogate pair is one code point.
    private int ParseChar()
    {
        var c = _text[_pos];
        if (c != '\\')
        {
            if (char.IsHighSurrogate(c) && _pos + 1 < _text.Length && char.IsLowSurrogate(_text[_pos + 1]))
            {
                _pos += 2;
                return char.ConvertToUtf32(c, _text[_pos - 1]);
            }
            _pos++;
            return c;
        }
        var at = _pos;
        if (_pos + 1 >= _text.Length) throw Error("`\\` at the end of the grammar");
        var e = _text[_pos + 1];
        _pos += 2;
        switch (e)
        {
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case '0': return 0;
            case '\\' or '"' or '[' or ']' or '-' or '^' or '\'' or '/': return e;
            case 'x': return ParseHex(2, at);
            case 'u': return ParseHex(4, at);
            case 'U': return ParseHex(8, at);
            default: throw Error($"unknown escape `\\{e}`", at);
        }
    }

    private int ParseHex(int digits, int at)
    {
        if (_pos + digits > _text.Length || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            throw Error($"escape needs {digits} hexadecimal digits", at);
        _pos += digits;
        if (value is < 0 or > CharSet.MaxCodePoint) throw Error($"escape U+{value:X} is beyond the last code point", at);
        return value;
    }

    private string ParseName(string what)
    {
        var start = _pos;
        while (_pos < _text.Length && IsNameChar(_text[_pos])) _pos++;
        if (_pos == start) throw Error(_pos < _text.Length ? $"expected {what}, found `{_text[_pos]}`" : $"expected {what}");
        return _text[start.._pos];
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private bool Match(string s)
    {
        if (string.CompareOrdinal(_text, _pos, s, 0, s.Length) != 0) return false;
        _pos += s.Length;
        return true;
    }

    private void SkipSpace(bool newlines)
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t') _pos++;
            else if (c == '#') { while (_pos < _text.Length && _text[_pos] is not ('\n' or '\r')) _pos++; }
            else if (newlines && c is '\n' or '\r') _pos++;
            else break;
        }
    }

    private int RuleId(string name)
    {
        if (_ruleIds.TryGetValue(name, out var id)) return id;
        id = _names.Count;
        _ruleIds[name] = id;
        _names.Add(name);
        _rules.Add(null);
        return id;
    }

    private int NewRule(string kind)
    {
        var id = _names.Count;
        _names.Add($"{kind}#{id}");
        _rules.Add(null);
        return id;
    }

    // Identical groups and repetitions share one rule (a schema compiled to GBNF repeats them a lot).
    private int HelperRule(string kind, List<List<(int Kind, int Arg)>> alternatives)
    {
        var key = new StringBuilder(kind);
        foreach (var alt in alternatives)
        {
            key.Append('|');
            foreach (var (k, a) in alt) key.Append(k).Append(':').Append(a).Append(',');
        }
        var text = key.ToString();
        if (_helperRules.TryGetValue(text, out var id)) return id;
        id = NewRule(kind);
        _rules[id] = alternatives;
        _helperRules[text] = id;
        return id;
    }

    private int CharSetId(CharSet set)
    {
        if (_charSetIds.TryGetValue(set, out var id)) return id;
        id = _charSets.Count;
        _charSets.Add(set);
        _charSetIds[set] = id;
        return id;
    }

    private Grammar Build(string root)
    {
        for (var i = 0; i < _rules.Count; i++)
            if (_rules[i] is null)
                throw _firstUse.TryGetValue(_names[i], out var at)
                    ? Error($"rule `{_names[i]}` is used but never defined", at)
                    : new GrammarException($"grammar error: rule `{_names[i]}` is never defined");
        if (!_ruleIds.TryGetValue(root, out var rootId))
            throw new GrammarException($"grammar error: the grammar has no `{root}` rule to start from");

        var kinds = new List<int>();
        var args = new List<int>();
        var alternatives = new int[_rules.Count][];
        for (var r = 0; r < _rules.Count; r++)
        {
            var alts = _rules[r]!;
            alternatives[r] = new int[alts.Count];
            for (var a = 0; a < alts.Count; a++)
            {
                alternatives[r][a] = kinds.Count;
                foreach (var (k, arg) in alts[a]) { kinds.Add(k); args.Add(arg); }
                kinds.Add(Grammar.End);
                args.Add(0);
            }
        }
        var grammar = new Grammar(_text, [.. kinds], [.. args], alternatives, [.. _charSets], [.. _names], rootId);
        CheckLeftRecursion(grammar);
        return grammar;
    }

    // A rule that can reach itself without consuming a character would make the matcher expand forever.
    private static void CheckLeftRecursion(Grammar g)
    {
        var n = g.Alternatives.Length;
        var nullable = new bool[n];
        for (var changed = true; changed;)
        {
            changed = false;
            for (var r = 0; r < n; r++)
            {
                if (nullable[r]) continue;
                foreach (var start in g.Alternatives[r])
                {
                    var e = start;
                    while (g.Kinds[e] == Grammar.RuleRefKind && nullable[g.Args[e]]) e++;
                    if (g.Kinds[e] == Grammar.End) { nullable[r] = true; changed = true; break; }
                }
            }
        }
        var state = new byte[n];   // 0 unvisited, 1 on the path, 2 done
        var path = new List<int>();
        void Visit(int r)
        {
            state[r] = 1;
            path.Add(r);
            foreach (var start in g.Alternatives[r])
            {
                for (var e = start; g.Kinds[e] == Grammar.RuleRefKind; e++)
                {
                    var callee = g.Args[e];
                    if (state[callee] == 1)
                    {
                        var cycle = path.Skip(path.IndexOf(callee)).Select(x => g.RuleNames[x]).Append(g.RuleNames[callee]);
                        throw new GrammarException($"grammar error: left recursion ({string.Join(" -> ", cycle)}): a rule reaches itself before matching any character");
                    }
                    if (state[callee] == 0) Visit(callee);
                    if (!nullable[callee]) break;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[r] = 2;
        }
        for (var r = 0; r < n; r++)
            if (state[r] == 0) Visit(r);
    }

    private GrammarException Error(string message, int? at = null)
    {
        var pos = Math.Min(at ?? _pos, _text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < pos; i++)
            if (_text[i] == '\n') { line++; lineStart = i + 1; }
        var column = pos - lineStart + 1;
        return new GrammarException($"grammar error at line {line}, column {column}: {message}") { Line = line, Column = column };
    }

    private static string Show(int c) => c is >= 0x20 and < 0x7F ? ((char)c).ToString() : $"U+{c:X4}";
}
