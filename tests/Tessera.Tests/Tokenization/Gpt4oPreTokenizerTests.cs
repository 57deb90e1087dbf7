// Gpt4oPreTokenizer against std::regex: gpt4o-split-cases.txt holds piece lengths that libstdc++'s std::regex gives
// for llama.cpp's collapsed gpt-4o pattern (the path unicode_regex_split takes), on a byte alphabet chosen to hit
// every alternative, the case classes, contractions and the whitespace look-ahead.

using System.Text;
using Tessera.Tokenization;

namespace Tessera.Tests.Tokenization;

public class Gpt4oPreTokenizerTests
{
    public static TheoryData<string, string> RegexCases()
    {
        var data = new TheoryData<string, string>();
        string path = Path.Combine(AppContext.BaseDirectory, "Tokenization", "gpt4o-split-cases.txt");
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || line.Length == 0)
                continue;
            int space = line.IndexOf(' ');
            data.Add(line[..space], line[(space + 1)..]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RegexCases))]
    public void Splits_like_std_regex_on_collapsed_text(string collapsedHex, string expectedLengths)
    {
        byte[] collapsed = Convert.FromHexString(collapsedHex);
        var lengths = new List<int>();
        for (int p = 0; p < collapsed.Length;)
        {
            int e = Gpt4oPreTokenizer.MatchEnd(collapsed, p);
            Assert.True(e > p);
            lengths.Add(e - p);
            p = e;
        }
        Assert.Equal(expectedLengths, string.Join(' ', lengths));
    }

    [Theory]
    [InlineData("a", 'a')]
    [InlineData("é", Gpt4oPreTokenizer.Letter)]
    [InlineData("中", Gpt4oPreTokenizer.Letter)]
    [InlineData("٣", Gpt4oPreTokenizer.Number)]
    [InlineData("½", Gpt4oPreTokenizer.Number)]
    [InlineData("«", Gpt4oPreTokenizer.Punctuation)]
    [InlineData("\u0301", Gpt4oPreTokenizer.Mark)]
    [InlineData("€", Gpt4oPreTokenizer.Symbol)]
    [InlineData("👍", Gpt4oPreTokenizer.Symbol)]
    [InlineData("\u00a0", Gpt4oPreTokenizer.Whitespace)]
    [InlineData("\u3000", Gpt4oPreTokenizer.Whitespace)]
    [InlineData("\u0085", Gpt4oPreTokenizer.Whitespace)]
    [InlineData("\u200b", Gpt4oPreTokenizer.Other)]
    [InlineData("\u200d", Gpt4oPreTokenizer.Other)]
    [InlineData("\ue000", Gpt4oPreTokenizer.Other)]
    public void Collapses_one_code_point_to_one_byte(string text, int expected)
    {
        var collapsed = new byte[text.Length + 1];
        var starts = new int[text.Length + 1];
        Assert.Equal(1, Gpt4oPreTokenizer.Collapse(text, collapsed, starts));
        Assert.Equal(expected, collapsed[0]);
        Assert.Equal(text.Length, starts[1]);
    }

    [Fact]
    public void A_lone_surrogate_reads_as_the_replacement_character()
    {
        string text = new(['x', (char)0xD800, 'y']);   // built at run time: attribute strings cannot hold one
        var collapsed = new byte[4];
        var starts = new int[4];
        Assert.Equal(3, Gpt4oPreTokenizer.Collapse(text, collapsed, starts));
        Assert.Equal(Gpt4oPreTokenizer.Symbol, collapsed[1]);   // U+FFFD is a symbol
    }

    [Theory]
    [MemberData(nameof(BpeTokenizerTests.RoundTripCorpus), MemberType = typeof(BpeTokenizerTests))]
    public void Collapsing_utf8_agrees_with_collapsing_utf16(string text)
    {
        AssertCollapsesAlike(text);
        AssertCollapsesAlike(new string(['x', (char)0xD800, 'y', (char)0xDFFF]) + text);   // lone surrogates → U+FFFD
    }

    private static void AssertCollapsesAlike(string text)
    {
        var collapsed = new byte[text.Length + 1];
        var starts = new int[text.Length + 1];
        int n = Gpt4oPreTokenizer.Collapse(text, collapsed, starts);

        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var collapsed8 = new byte[text.Length + 1];
        var starts8 = new int[text.Length + 1];
        Assert.Equal(n, Gpt4oPreTokenizer.Collapse(utf8, collapsed8, starts8));
        Assert.Equal(collapsed.AsSpan(0, n), collapsed8.AsSpan(0, n));
        for (int i = 0; i <= n; i++)
            Assert.Equal(Encoding.UTF8.GetByteCount(text.AsSpan(0, starts[i])), starts8[i]);
    }

    [Fact]
    public void Cutting_at_a_safe_cut_splits_both_parts_as_the_whole()
    {
        const string alphabet = "\n\n\n\r \t/'.,aZs5\u00e9\u0301\u4e2d\u00a0";
        var random = new Random(2024);
        int cuts = 0;
        for (int k = 0; k < 20_000; k++)
        {
            string text = new([.. Enumerable.Range(0, random.Next(1, 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            List<string> whole = Split(text);
            for (int cut = Gpt4oPreTokenizer.NextSafeCut(text, 0); cut >= 0; cut = Gpt4oPreTokenizer.NextSafeCut(text, cut + 1))
            {
                Assert.Equal(whole, [.. Split(text[..cut]), .. Split(text[cut..])]);
                cuts++;
            }
        }
        Assert.True(cuts > 1000);
    }

    private static List<string> Split(string text)
    {
        var collapsed = new byte[text.Length + 1];
        var starts = new int[text.Length + 1];
        int n = Gpt4oPreTokenizer.Collapse(text, collapsed, starts);
        var pieces = new List<string>();
        for (int p = 0; p < n;)
        {
            int e = Gpt4oPreTokenizer.MatchEnd(collapsed.AsSpan(0, n), p);
            pieces.Add(text[starts[p]..starts[e]]);
            p = e;
        }
        return pieces;
    }

    [Theory]
    [InlineData("Hello world", "Hello| world")]
    [InlineData("I'm DON'T you'RE", "I'm| DON'T| you'RE")]
    [InlineData("HelloWorld JSONParser", "Hello|World| JSONParser")]
    [InlineData("12345", "123|45")]
    [InlineData("a  b", "a| | b")]
    [InlineData("x\n\n  y  ", "x|\n\n| | y|  ")]
    [InlineData("ÀB", "À|B")]                     // non-ASCII letters count as both cases: tiktoken keeps "ÀB"
    [InlineData("caf\u00e9s", "caf\u00e9s")]
    [InlineData("cafe\u0301s", "cafe|\u0301s")]   // a combining mark is not a letter here
    [InlineData("हिन्दी", "ह|िन|्द|ी")]
    [InlineData("a/\n/b", "a|/\n/|b")]
    public void Splits_text(string text, string expected) => Assert.Equal(expected, string.Join('|', Split(text)));
}
