// llama.cpp's pre-tokenizer for tokenizer.ggml.pre = "gpt-4o" (gpt-oss-facts.md §5; llama.cpp src/llama-vocab.cpp
// LLAMA_VOCAB_PRE_TYPE_GPT4O and src/unicode.cpp unicode_regex_split). llama.cpp has no hand-written splitter for
// this pattern: it runs std::regex (ECMAScript, leftmost alternative wins) over a "collapsed" string in which every
// non-ASCII code point is one byte: whitespace 0x0B, letter 0xD2, number 0xD1, punctuation 0xD3, mark 0xD4,
// symbol 0xD5, anything else 0xD0. This file replays that regex's backtracking by hand on the same collapsed bytes.

using System.Globalization;
using System.Text;

namespace Tessera.Tokenization;

/// <summary>Splits text into the pieces llama.cpp's gpt-4o pre-tokenizer produces.</summary>
internal static class Gpt4oPreTokenizer
{
    // Collapsed bytes for non-ASCII code points (k_ucat_cpt in unicode.cpp).
    internal const byte Other = 0xD0, Number = 0xD1, Letter = 0xD2, Punctuation = 0xD3, Mark = 0xD4, Symbol = 0xD5;
    internal const byte Whitespace = 0x0B;

    [Flags]
    private enum Cls : byte
    {
        None = 0,
        L = 1,          // \p{L} → [\xD2A-Za-z]
        N = 2,          // \p{N} → [\xD10-9]
        S = 4,          // std::regex \s in the C locale: [ \t\n\v\f\r]
        Upper = 8,      // (?=\p{L})[^a-z] → [A-Z\xD2]
        Lower = 16,     // (?=\p{L})[^A-Z] → [a-z\xD2]
        CrLf = 32,      // [\r\n]
        Slash = 64,     // the '/' of [\r\n/]*
    }

    private static readonly Cls[] s_cls = BuildClasses();

    /// <summary>Collapses <paramref name="text"/> into one byte per code point. <paramref name="starts"/>[i] receives the
    /// UTF-16 offset of code point i, and <paramref name="starts"/>[count] the text length. Both spans need
    /// <c>text.Length + 1</c> entries. Lone surrogates count as U+FFFD, as UTF-8 conversion would make them.</summary>
    public static int Collapse(ReadOnlySpan<char> text, Span<byte> collapsed, Span<int> starts)
    {
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            starts[n] = i;
            char ch = text[i];
            if (ch < 0x80)
            {
                collapsed[n++] = (byte)ch;
                i++;
                continue;
            }
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int used);   // invalid → U+FFFD, used = 1
            collapsed[n++] = CollapseCodePoint(rune.Value);
            i += used;
        }
        starts[n] = text.Length;
        return n;
    }

    /// <summary>Collapses UTF-8 <paramref name="utf8"/> like <see cref="Collapse(ReadOnlySpan{char}, Span{byte}, Span{int})"/>,
    /// with <paramref name="starts"/> in byte offsets. Both spans need one entry per code point and one more.</summary>
    public static int Collapse(ReadOnlySpan<byte> utf8, Span<byte> collapsed, Span<int> starts)
    {
        int n = 0;
        for (int i = 0; i < utf8.Length;)
        {
            starts[n] = i;
            byte b = utf8[i];
            if (b < 0x80)
            {
                collapsed[n++] = b;
                i++;
                continue;
            }
            Rune.DecodeFromUtf8(utf8[i..], out Rune rune, out int used);   // invalid → U+FFFD
            collapsed[n++] = CollapseCodePoint(rune.Value);
            i += used;
        }
        starts[n] = utf8.Length;
        return n;
    }

    /// <summary>The collapsed byte of a code point ≥ 0x80 (unicode_regex_split's text_collapsed).</summary>
    public static byte CollapseCodePoint(int cp)
    {
        if (IsUnicodeWhitespace(cp))
            return Whitespace;
        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => Punctuation,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Mark,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => Symbol,
            _ => Other,   // separators that are not White_Space (none today), controls, format, private use, unassigned
        };
    }

    // Unicode White_Space above ASCII (llama.cpp's unicode_set_whitespace, generated from Python regex's \s).
    private static bool IsUnicodeWhitespace(int cp) =>
        cp is 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    /// <summary>The first index ≥ <paramref name="from"/> at which the text can be cut into two parts that split
    /// exactly as the whole does, or -1. Such a cut follows a '\n' and precedes an ASCII letter or digit: the piece
    /// holding the '\n' ends there whichever alternative made it (4 absorbs only \r \n /, 5 ends at the last \r or \n
    /// of a run, the letter alternatives never take a \n), it looked no further than that one character, which reads
    /// the same as the end of the text to it, and every match looks only forward from its start.</summary>
    public static int NextSafeCut(ReadOnlySpan<char> text, int from)
    {
        while (from < text.Length)
        {
            int newline = text[from..].IndexOf('\n');
            if (newline < 0)
                return -1;
            int cut = from + newline + 1;
            if (cut < text.Length && char.IsAsciiLetterOrDigit(text[cut]))
                return cut;
            from = cut;
        }
        return -1;
    }

    /// <summary>End (exclusive, in code points) of the piece starting at <paramref name="p"/>. The pattern, as llama.cpp
    /// rewrites it for std::regex, alternative by alternative:
    /// <code>
    /// 1. [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?
    /// 2. [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|...)?
    /// 3. \p{N}{1,3}   4.  ?[^\s\p{L}\p{N}]+[\r\n/]*   5. \s*[\r\n]+   6. \s+(?!\S)   7. \s+
    /// </code></summary>
    public static int MatchEnd(ReadOnlySpan<byte> c, int p)
    {
        int n = c.Length;
        Cls b = s_cls[c[p]];

        // Alternatives 1 and 2: an optional lead-in (not \r, \n, letter or number) and then letters.
        int s = -1;
        if ((b & Cls.L) != 0)
            s = p;
        else if ((b & (Cls.CrLf | Cls.N)) == 0 && p + 1 < n && (s_cls[c[p + 1]] & Cls.L) != 0)
            s = p + 1;
        if (s >= 0)
        {
            int u = s;
            while (u < n && (s_cls[c[u]] & Cls.Upper) != 0)
                u++;
            if (u < n && c[u] is >= (byte)'a' and <= (byte)'z')
            {
                // 1: upper run, then the greedy lower run.
                int e = u;
                while (e < n && (s_cls[c[e]] & Cls.Lower) != 0)
                    e++;
                return Contraction(c, e);
            }
            // 1 after backtracking the upper run: the last 0xD2 in it is also "lower" and ends the piece there.
            int k = u - 1;
            while (k >= s && c[k] != Letter)
                k--;
            if (k >= s)
                return Contraction(c, k + 1);
            // 2: a run of A-Z (never empty here: a letter at s that is neither a-z nor 0xD2 is A-Z).
            return Contraction(c, u);
        }

        // 3: one to three numbers.
        if ((b & Cls.N) != 0)
        {
            int e = p + 1;
            while (e < n && e - p < 3 && (s_cls[c[e]] & Cls.N) != 0)
                e++;
            return e;
        }

        // 4: optional space, punctuation-like run, then any \r \n /.
        int q = c[p] == (byte)' ' ? p + 1 : p;
        if (q < n && (s_cls[c[q]] & (Cls.S | Cls.L | Cls.N)) == 0)
        {
            int e = q + 1;
            while (e < n && (s_cls[c[e]] & (Cls.S | Cls.L | Cls.N)) == 0)
                e++;
            while (e < n && (s_cls[c[e]] & (Cls.CrLf | Cls.Slash)) != 0)
                e++;
            return e;
        }

        // Only whitespace is left at p.
        int w = p, lastNewline = -1;
        while (w < n && (s_cls[c[w]] & Cls.S) != 0)
        {
            if ((s_cls[c[w]] & Cls.CrLf) != 0)
                lastNewline = w;
            w++;
        }
        if (lastNewline >= 0)
            return lastNewline + 1;     // 5: up to the last \r or \n of the run
        if (w == n || w - p == 1)
            return w;                   // 6 at the end of the text, or 7 for a single space before a non-space
        return w - 1;                   // 6: leave the last space to the next piece
    }

    // (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])? at e.
    private static int Contraction(ReadOnlySpan<byte> c, int e)
    {
        if (e + 1 >= c.Length || c[e] != (byte)'\'')
            return e;
        int x = c[e + 1] | 0x20;
        if (x is 's' or 't' or 'm' or 'd' && c[e + 1] < 0x80)
            return e + 2;
        if (e + 2 < c.Length && c[e + 1] < 0x80 && c[e + 2] < 0x80)
        {
            int y = c[e + 2] | 0x20;
            if ((x, y) is ('r', 'e') or ('v', 'e') or ('l', 'l'))
                return e + 3;
        }
        return e;
    }

    private static Cls[] BuildClasses()
    {
        var cls = new Cls[256];
        for (int ch = 'A'; ch <= 'Z'; ch++)
            cls[ch] = Cls.L | Cls.Upper;
        for (int ch = 'a'; ch <= 'z'; ch++)
            cls[ch] = Cls.L | Cls.Lower;
        cls[Letter] = Cls.L | Cls.Upper | Cls.Lower;
        for (int ch = '0'; ch <= '9'; ch++)
            cls[ch] = Cls.N;
        cls[Number] = Cls.N;
        foreach (char ch in " \t\v\f")
            cls[ch] = Cls.S;
        cls['\r'] = cls['\n'] = Cls.S | Cls.CrLf;
        cls['/'] = Cls.Slash;
        return cls;
    }
}
