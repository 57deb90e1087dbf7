// Deterministic mixed text for tokenizer benchmarks: English-like prose, French, Russian, Chinese, Japanese, Arabic,
// emoji chat (skin tones, ZWJ sequences, flags, VS16), C#/Python/JSON code, number tables and whitespace-heavy
// markdown, with \n and \r\n mixed. Words are drawn with a Zipf law from large vocabularies (real words followed by
// thousands of synthesized ones), so pieces repeat about as often as in real text and not as in a repeated paragraph.

using System.Text;

namespace Tessera.Benchmarks;

/// <summary>A generated benchmark text and its ASCII-only paragraphs.</summary>
internal sealed class MixedText
{
    private enum Kind { English, Code, French, Russian, Chinese, Japanese, Arabic, EmojiChat, Numbers, Markdown }

    // Share of paragraphs per kind; roughly the share of bytes too.
    private static readonly (Kind Kind, int Weight)[] s_mix =
    [
        (Kind.English, 30), (Kind.Code, 16), (Kind.French, 9), (Kind.Russian, 4), (Kind.Chinese, 8), (Kind.Japanese, 7),
        (Kind.Arabic, 5), (Kind.EmojiChat, 8), (Kind.Numbers, 7), (Kind.Markdown, 6),
    ];

    private readonly Random _random;
    private readonly Zipf _english, _french, _russian, _chinese, _kanji, _katakana, _arabic;

    private MixedText(int seed)
    {
        _random = new Random(seed);
        var words = new Random(seed ^ 0x5EED);
        _english = new Zipf(Vocabulary(WordLists.English, 30_000, WordLists.EnglishSyllables, words), 1.0);
        _french = new Zipf(Vocabulary(WordLists.French, 12_000, WordLists.FrenchSyllables, words), 1.0);
        _russian = new Zipf(Vocabulary(WordLists.Russian, 8_000, WordLists.RussianSyllables, words), 1.0);
        _chinese = new Zipf(Characters(WordLists.Chinese), 0.9);
        _kanji = new Zipf(WordLists.Kanji, 0.9);
        _katakana = new Zipf(WordLists.Katakana, 0.9);
        _arabic = new Zipf(Vocabulary(WordLists.Arabic, 6_000, WordLists.ArabicSyllables, words), 1.0);
    }

    /// <summary>The whole text.</summary>
    public string Text { get; private set; } = "";

    /// <summary>The paragraphs made only of ASCII (English, code, numbers, markdown), in order.</summary>
    public string AsciiText { get; private set; } = "";

    /// <summary>The text of each kind of paragraph (English, Code, French, ...), each in order.</summary>
    public IReadOnlyDictionary<string, string> ByKind { get; private set; } = new Dictionary<string, string>();

    /// <summary>Paragraphs of every kind until the text is at least <paramref name="utf8Bytes"/> bytes of UTF-8.</summary>
    public static MixedText Generate(int utf8Bytes, int seed)
    {
        var generator = new MixedText(seed);
        var text = new StringBuilder(utf8Bytes);
        var ascii = new StringBuilder(utf8Bytes / 2);
        var paragraph = new StringBuilder();
        var byKind = new Dictionary<string, StringBuilder>();
        int bytes = 0, total = s_mix.Sum(m => m.Weight);
        while (bytes < utf8Bytes)
        {
            int pick = generator._random.Next(total);
            Kind kind = s_mix.First(m => (pick -= m.Weight) < 0).Kind;
            paragraph.Clear();
            generator.Paragraph(kind, paragraph);
            paragraph.Append(generator.Pick(["\n\n", "\n\n", "\n\n", "\n\n", "\n\n", "\n\n", "\r\n\r\n", "\n", "\n\n\n", " \n \n"]));
            string p = paragraph.ToString();
            text.Append(p);
            if (kind is Kind.English or Kind.Code or Kind.Numbers or Kind.Markdown)
                ascii.Append(p);
            (byKind.TryGetValue(kind.ToString(), out var same) ? same : byKind[kind.ToString()] = new StringBuilder()).Append(p);
            bytes += Encoding.UTF8.GetByteCount(p);
        }
        generator.Text = text.ToString();
        generator.AsciiText = ascii.ToString();
        generator.ByKind = byKind.ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
        return generator;
    }

    private void Paragraph(Kind kind, StringBuilder s)
    {
        switch (kind)
        {
            case Kind.English: Prose(s, _english, " ", ". ", "? ", "! ", Chance(0.3) ? "\r\n" : "\n"); break;
            case Kind.French: French(s); break;
            case Kind.Russian: Prose(s, _russian, " ", ". ", "? ", "! ", "\n"); break;
            case Kind.Chinese: Chinese(s); break;
            case Kind.Japanese: Japanese(s); break;
            case Kind.Arabic: Arabic(s); break;
            case Kind.EmojiChat: EmojiChat(s); break;
            case Kind.Code: Code(s); break;
            case Kind.Numbers: Numbers(s); break;
            case Kind.Markdown: Markdown(s); break;
        }
    }

    // Sentences of Zipf-drawn words: capitals, commas, contractions, quotes, hyphens, the odd number or acronym.
    private void Prose(StringBuilder s, Zipf words, string space, string stop, string question, string exclamation, string newline)
    {
        int sentences = _random.Next(2, 9);
        for (int k = 0; k < sentences; k++)
        {
            int count = _random.Next(4, 25);
            bool quoted = Chance(0.05);
            if (quoted)
                s.Append('"');
            for (int i = 0; i < count; i++)
            {
                string word = words.Next(_random);
                if (i == 0 || Chance(0.06))
                    word = Capitalize(word);
                else if (Chance(0.015))
                    word = word.ToUpperInvariant();
                s.Append(word);
                if (words == _english && Chance(0.03))
                    s.Append(Pick(["'s", "'t", "'re", "'ve", "'ll", "'d", "'m", "n't"]));
                else if (Chance(0.02))
                    s.Append('-').Append(words.Next(_random));
                if (i + 1 < count)
                {
                    if (Chance(0.09))
                        s.Append(',');
                    else if (Chance(0.01))
                        s.Append(';');
                    s.Append(Chance(0.01) ? "  " : space);
                    if (Chance(0.02))
                        s.Append(_random.Next(1, 3000)).Append(space);
                    else if (Chance(0.01))
                        s.Append('(').Append(words.Next(_random)).Append(')').Append(space);
                }
            }
            if (quoted)
                s.Append('"');
            int end = _random.Next(20);
            s.Append(end == 0 ? question : end == 1 ? exclamation : stop);
            if (Chance(0.08))
                s.Append(newline);
        }
        s.Length--;   // the last sentence's trailing space
    }

    // French: elisions (l', d', qu'), guillemets with the spaces French typography puts inside, " ?" and " !".
    private void French(StringBuilder s)
    {
        int sentences = _random.Next(2, 8);
        for (int k = 0; k < sentences; k++)
        {
            int count = _random.Next(5, 22);
            bool quoted = Chance(0.08);
            if (quoted)
                s.Append("« ");
            for (int i = 0; i < count; i++)
            {
                if (Chance(0.08))
                    s.Append(Pick(["l'", "d'", "qu'", "n'", "j'", "s'", "c'"]));
                string word = _french.Next(_random);
                s.Append(i == 0 ? Capitalize(word) : word);
                if (i + 1 < count)
                    s.Append(Chance(0.08) ? ", " : " ");
            }
            if (quoted)
                s.Append(" »");
            int end = _random.Next(12);
            s.Append(end == 0 ? " ? " : end == 1 ? " ! " : end == 2 ? "… " : ". ");
        }
        s.Length--;
    }

    private void Chinese(StringBuilder s)
    {
        int sentences = _random.Next(2, 8);
        for (int k = 0; k < sentences; k++)
        {
            int clauses = _random.Next(1, 4);
            for (int c = 0; c < clauses; c++)
            {
                int count = _random.Next(3, 16);
                for (int i = 0; i < count; i++)
                    s.Append(_chinese.Next(_random));
                if (Chance(0.1))
                    s.Append(_random.Next(1, 2030)).Append(Pick(["年", "月", "日", "个", "元", "%"]));
                else if (Chance(0.05))
                    s.Append(Pick(["AI", "GPU", "iPhone", "Python", "API"]));
                s.Append(c + 1 < clauses ? Pick(["，", "，", "、", "；"]) : Pick(["。", "。", "。", "？", "！"]));
            }
            if (Chance(0.05))
                s.Append("“").Append(_chinese.Next(_random)).Append(_chinese.Next(_random)).Append("”");
        }
    }

    // Noun (kanji or katakana) + particle chains ending in a verb form.
    private void Japanese(StringBuilder s)
    {
        int sentences = _random.Next(2, 7);
        for (int k = 0; k < sentences; k++)
        {
            int phrases = _random.Next(2, 6);
            for (int p = 0; p < phrases; p++)
            {
                s.Append(Chance(0.3) ? _katakana.Next(_random) : _kanji.Next(_random));
                if (Chance(0.3))
                    s.Append(_kanji.Next(_random));
                s.Append(Pick(WordLists.Particles));
                if (Chance(0.2))
                    s.Append('、');
            }
            s.Append(_kanji.Next(_random)).Append(Pick(WordLists.VerbEndings)).Append(Chance(0.85) ? "。" : "！");
        }
    }

    // Arabic words, sometimes with harakat (combining marks), Arabic punctuation and Arabic-Indic digits.
    private void Arabic(StringBuilder s)
    {
        int sentences = _random.Next(2, 7);
        for (int k = 0; k < sentences; k++)
        {
            int count = _random.Next(4, 18);
            for (int i = 0; i < count; i++)
            {
                string word = _arabic.Next(_random);
                if (Chance(0.07))
                    word = word.Insert(1, Pick(["\u064E", "\u064F", "\u0650", "\u0651", "\u0652"]));
                s.Append(word);
                if (Chance(0.03))
                    s.Append(' ').Append(ArabicNumber(_random.Next(1, 10000)));
                if (i + 1 < count)
                    s.Append(Chance(0.08) ? "، " : " ");
            }
            s.Append(Chance(0.15) ? "؟ " : ". ");
        }
        s.Length--;
    }

    private void EmojiChat(StringBuilder s)
    {
        int lines = _random.Next(2, 7);
        for (int k = 0; k < lines; k++)
        {
            if (Chance(0.4))
                s.Append('@').Append(_english.Next(_random)).Append(Chance(0.5) ? "_" + _random.Next(100) : "").Append(' ');
            int count = _random.Next(2, 12);
            for (int i = 0; i < count; i++)
            {
                s.Append(i == 0 ? Capitalize(_english.Next(_random)) : _english.Next(_random));
                if (Chance(0.15))
                    s.Append(' ').Append(Pick(WordLists.Emoji));
                if (Chance(0.04))
                    s.Append(Pick(WordLists.Emoji)).Append(Pick(WordLists.Emoji));
                s.Append(' ');
            }
            if (Chance(0.3))
                s.Append('#').Append(Capitalize(_english.Next(_random))).Append(Capitalize(_english.Next(_random))).Append(' ');
            if (Chance(0.1))
                s.Append("https://").Append(_english.Next(_random)).Append(".example.com/").Append(_english.Next(_random)).Append("?id=").Append(_random.Next(1_000_000)).Append(' ');
            s.Append(Pick(WordLists.Emoji)).Append(Chance(0.5) ? Pick(WordLists.Emoji) : "").Append(Pick(["!!", "!", "?", "…", "", " lol"]));
            s.Append(Chance(0.2) ? "\r\n" : "\n");
        }
        s.Length--;
    }

    // A C# method, a Python function or a JSON object with identifiers from the English vocabulary.
    private void Code(StringBuilder s)
    {
        string nl = Chance(0.25) ? "\r\n" : "\n";
        string indent = Chance(0.15) ? "\t" : "    ";
        switch (_random.Next(3))
        {
            case 0:
                s.Append("public static ").Append(Pick(WordLists.Types)).Append(' ').Append(Identifier(pascal: true)).Append('(');
                int args = _random.Next(0, 4);
                for (int a = 0; a < args; a++)
                    s.Append(a > 0 ? ", " : "").Append(Pick(WordLists.Types)).Append(' ').Append(Identifier(pascal: false));
                s.Append(')').Append(nl).Append('{').Append(nl);
                int lines = _random.Next(3, 14);
                for (int l = 0; l < lines; l++)
                {
                    s.Append(indent);
                    if (Chance(0.2))
                        s.Append(indent);
                    CodeStatement(s, "var ", ";", "// ");
                    s.Append(nl);
                }
                s.Append(indent).Append("return ").Append(Identifier(pascal: false)).Append(';').Append(nl).Append('}');
                break;
            case 1:
                s.Append("def ").Append(SnakeIdentifier()).Append('(');
                int pargs = _random.Next(0, 4);
                for (int a = 0; a < pargs; a++)
                    s.Append(a > 0 ? ", " : "").Append(SnakeIdentifier()).Append(Chance(0.3) ? "=None" : "");
                s.Append("):").Append(nl);
                int plines = _random.Next(3, 14);
                for (int l = 0; l < plines; l++)
                {
                    s.Append("    ");
                    if (Chance(0.3))
                        s.Append("    ");
                    CodeStatement(s, "", "", "# ");
                    s.Append(nl);
                }
                s.Append("    return ").Append(SnakeIdentifier());
                break;
            default:
                s.Append('{').Append(nl);
                int fields = _random.Next(2, 10);
                for (int f = 0; f < fields; f++)
                {
                    s.Append("  \"").Append(Identifier(pascal: false)).Append("\": ");
                    switch (_random.Next(4))
                    {
                        case 0: s.Append(_random.Next(-1000, 100000)); break;
                        case 1: s.Append('"').Append(_english.Next(_random)).Append(' ').Append(_english.Next(_random)).Append('"'); break;
                        case 2: s.Append(Chance(0.5) ? "true" : "null"); break;
                        default: s.Append('[').Append(_random.NextDouble().ToString("F4")).Append(", ").Append(_random.Next(100)).Append(']'); break;
                    }
                    s.Append(f + 1 < fields ? "," : "").Append(nl);
                }
                s.Append('}');
                break;
        }
    }

    private void CodeStatement(StringBuilder s, string declare, string end, string comment)
    {
        switch (_random.Next(6))
        {
            case 0:
                s.Append(comment).Append(Capitalize(_english.Next(_random)));
                for (int i = _random.Next(2, 9); i > 0; i--)
                    s.Append(' ').Append(_english.Next(_random));
                break;
            case 1:
                s.Append("if (").Append(Identifier(pascal: false)).Append(Pick([" > ", " == ", " != ", " <= "])).Append(_random.Next(256)).Append(')').Append(end == ";" ? " {" : ":");
                break;
            case 2:
                s.Append(declare).Append(Identifier(pascal: false)).Append(" = \"").Append(Capitalize(_english.Next(_random))).Append(' ').Append(_english.Next(_random)).Append("\"").Append(end);
                break;
            case 3:
                s.Append(Identifier(pascal: false)).Append('.').Append(Identifier(pascal: true)).Append('(').Append(Identifier(pascal: false)).Append(", ").Append(_random.Next(1000)).Append(')').Append(end);
                break;
            case 4:
                s.Append(Identifier(pascal: false)).Append(Pick([" += ", " = ", " -= ", " *= "])).Append(Identifier(pascal: false)).Append(Pick([" * ", " + ", " / ", " % ", " << "])).Append(_random.Next(64)).Append(end);
                break;
            default:
                s.Append(declare).Append(Identifier(pascal: false)).Append(" = ").Append(Identifier(pascal: false)).Append('[').Append(Identifier(pascal: false)).Append("] ?? ").Append(_random.NextDouble().ToString("F3")).Append(end);
                break;
        }
    }

    private void Numbers(StringBuilder s)
    {
        int rows = _random.Next(3, 15);
        string nl = Chance(0.3) ? "\r\n" : "\n";
        for (int r = 0; r < rows; r++)
        {
            switch (_random.Next(5))
            {
                case 0:
                    s.Append($"{_random.Next(1990, 2030)}-{_random.Next(1, 13):D2}-{_random.Next(1, 29):D2},{_random.Next(24):D2}:{_random.Next(60):D2}:{_random.Next(60):D2},{_random.NextDouble() * 1000:F3},{_random.Next(-500, 500)}");
                    break;
                case 1:
                    s.Append($"{_random.Next(1, 999)},{_random.Next(1000):D3},{_random.Next(1000):D3}.{_random.Next(100):D2} USD  ({_random.NextDouble() * 100:F1}%)");
                    break;
                case 2:
                    s.Append($"id={(long)(_random.NextDouble() * 1e15)} hash=0x{_random.Next():X8}{_random.Next():x8} v{_random.Next(10)}.{_random.Next(30)}.{_random.Next(100)}");
                    break;
                case 3:
                    s.Append($"+1 ({_random.Next(200, 999)}) {_random.Next(100, 999)}-{_random.Next(1000, 9999)}\t{_random.NextDouble():E3}\t{_random.Next(100000)}");
                    break;
                default:
                    for (int c = _random.Next(3, 9); c > 0; c--)
                        s.Append(_random.Next(100000).ToString().PadLeft(8));
                    break;
            }
            s.Append(nl);
        }
        s.Length -= nl.Length;
    }

    // Headings, bullet lists, tables, indented blocks, trailing spaces and blank lines holding spaces.
    private void Markdown(StringBuilder s)
    {
        s.Append(new string('#', _random.Next(1, 4))).Append(' ').Append(Capitalize(_english.Next(_random))).Append(' ').Append(_english.Next(_random)).Append('\n');
        int items = _random.Next(2, 9);
        for (int i = 0; i < items; i++)
        {
            switch (_random.Next(5))
            {
                case 0: s.Append("- ").Append(_english.Next(_random)).Append(' ').Append(_english.Next(_random)).Append("   \n"); break;
                case 1: s.Append("| ").Append(_english.Next(_random)).Append(" | ").Append(_random.Next(1000)).Append(" | ").Append(_english.Next(_random)).Append(" |\n"); break;
                case 2: s.Append(new string(' ', _random.Next(1, 24))).Append(_english.Next(_random)).Append('\n'); break;
                case 3: s.Append(new string(' ', _random.Next(0, 8))).Append("\r\n").Append(Chance(0.5) ? "\t\t" : "").Append('\n'); break;
                default: s.Append("  * **").Append(_english.Next(_random)).Append("**: `").Append(SnakeIdentifier()).Append("()`\n"); break;
            }
        }
        s.Append("---");
    }

    private string Identifier(bool pascal)
    {
        var id = new StringBuilder(pascal ? Capitalize(_english.Next(_random)) : _english.Next(_random));
        for (int i = _random.Next(0, 3); i > 0; i--)
            id.Append(Capitalize(_english.Next(_random)));
        return id.ToString();
    }

    private string SnakeIdentifier()
    {
        var id = new StringBuilder(_english.Next(_random));
        for (int i = _random.Next(0, 3); i > 0; i--)
            id.Append('_').Append(_english.Next(_random));
        return id.ToString();
    }

    private static string ArabicNumber(int n) => string.Concat(n.ToString().Select(d => (char)('\u0660' + (d - '0'))));

    private static string Capitalize(string word) =>
        word.Length == 0 ? word : string.Concat(char.ToUpperInvariant(word[0]).ToString(), word.AsSpan(1));

    private bool Chance(double p) => _random.NextDouble() < p;

    private string Pick(string[] items) => items[_random.Next(items.Length)];

    // The real words, then synthesized ones of one to four syllables; duplicates dropped, order kept.
    private static string[] Vocabulary(string[] real, int synthesized, string[] syllables, Random random)
    {
        var words = new List<string>(real);
        var seen = new HashSet<string>(real, StringComparer.Ordinal);
        while (words.Count < real.Length + synthesized)
        {
            var word = new StringBuilder();
            for (int k = random.Next(1, 5); k > 0; k--)
                word.Append(syllables[random.Next(syllables.Length)]);
            if (seen.Add(word.ToString()))
                words.Add(word.ToString());
        }
        return [.. words];
    }

    private static string[] Characters(string text) =>
        [.. text.EnumerateRunes().Select(r => r.ToString()).Distinct()];

    // Draws items with probability proportional to 1 / (rank + 1)^s.
    private sealed class Zipf
    {
        private readonly string[] _items;
        private readonly double[] _cumulative;

        public Zipf(string[] items, double s)
        {
            _items = items;
            _cumulative = new double[items.Length];
            double sum = 0;
            for (int i = 0; i < items.Length; i++)
                _cumulative[i] = sum += 1 / Math.Pow(i + 1, s);
        }

        public string Next(Random random)
        {
            int i = Array.BinarySearch(_cumulative, random.NextDouble() * _cumulative[^1]);
            return _items[Math.Min(i < 0 ? ~i : i, _items.Length - 1)];
        }
    }
}
