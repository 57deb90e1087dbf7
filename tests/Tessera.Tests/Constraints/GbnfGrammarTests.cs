// GBNF grammars written here from llama.cpp's grammar documentation (grammars/README.md): they load, accept the texts
// of their language and refuse others; syntax errors say where they are.

using System.Text;
using Tessera.Constraints;

namespace Tessera.Tests.Constraints;

public class GbnfGrammarTests
{
    internal static bool Matches(Grammar grammar, string text)
    {
        var a = grammar.AutomatonFor(EmptyTrie);
        var s = a.Walk(a.Initial, Encoding.UTF8.GetBytes(text));
        return s != GrammarAutomaton.Dead && a.IsAccepting(s);
    }

    internal static bool IsPrefix(Grammar grammar, string text)
    {
        var a = grammar.AutomatonFor(EmptyTrie);
        return a.Walk(a.Initial, Encoding.UTF8.GetBytes(text)) != GrammarAutomaton.Dead;
    }

    private static readonly TokenTrie EmptyTrie = new([]);

    public const string Arithmetic = """
        # Arithmetic over integers, with the usual precedence.
        root  ::= expr
        expr  ::= term (("+" | "-") term)*
        term  ::= factor (("*" | "/") factor)*
        factor ::= [0-9]+ | "(" expr ")" | "-" factor
        """;

    public const string Json = """
        root   ::= object
        value  ::= object | array | string | number | ("true" | "false" | "null") ws

        object ::=
          "{" ws (
                    string ":" ws value
            ("," ws string ":" ws value)*
          )? "}" ws

        array  ::=
          "[" ws (
                    value
            ("," ws value)*
          )? "]" ws

        string ::=
          "\"" (
            [^"\\\x7F\x00-\x1F] |
            "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
          )* "\"" ws

        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

        # Optional space: by convention, applied in this grammar after literal chars when allowed
        ws ::= | " " | "\n" [ \t]{0,20}
        """;

    public const string List = """
        root ::= item{1,5}
        item ::= "- " [^\r\n]{1,40} "\n"   # one line per item
        """;

    public const string Chess = """
        # Moves in standard algebraic notation, numbered: "1. e4 e5 2. Nf3 Nc6"
        root   ::= (number ". " move " " move " "?){1,}
        number ::= [1-9] [0-9]{0,2}
        move   ::= (pawn | nonpawn | castle) [+#]?
        pawn   ::= ([a-h] "x")? [a-h] [1-8] ("=" [NBRQ])?
        nonpawn ::= [NBRQK] [a-h]? [1-8]? "x"? [a-h] [1-8]
        castle ::= "O-O" ("-O")?
        """;

    [Theory]
    [InlineData(Arithmetic, "1+2*(3-4)/-5", true)]
    [InlineData(Arithmetic, "((7))", true)]
    [InlineData(Arithmetic, "1+", false)]
    [InlineData(Arithmetic, "1+*2", false)]
    [InlineData(Json, """{"a": [1, 2.5e3, "x\u00e9\n"], "b": {"c": null}}""", true)]
    [InlineData(Json, "{\"é\": \"ü😀\"}", true)]
    [InlineData(Json, """{"a": [1, 2,]}""", false)]
    [InlineData(Json, """{"a" 1}""", false)]
    [InlineData(List, "- milk\n- eggs\n", true)]
    [InlineData(List, "- a\n- b\n- c\n- d\n- e\n- f\n", false)]
    [InlineData(List, "", false)]
    [InlineData(Chess, "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6 4. O-O Nxe4", true)]
    [InlineData(Chess, "1. O-O-O-O Nf6", false)]
    [InlineData(Chess, "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6 4. O-O Nf6", true)]
    [InlineData(Chess, "1. exd8=Q+ Kxd8", true)]
    [InlineData(Chess, "1. e9 e5", false)]
    public void GrammarAcceptsItsLanguage(string gbnf, string text, bool expected) =>
        Assert.Equal(expected, Matches(Grammar.Parse(gbnf), text));

    [Fact]
    public void PrefixesOfValidTextAreAlive()
    {
        var g = Grammar.Parse(Json);
        var text = """{"key": ["value", 12, true]}""";
        for (var i = 0; i <= text.Length; i++) Assert.True(IsPrefix(g, text[..i]), text[..i]);
        Assert.False(IsPrefix(g, "{\"key\" ]"));
    }

    [Fact]
    public void PartialUtf8CharactersAreTrackedAcrossBytes()
    {
        var g = Grammar.Parse("root ::= [é-ê]+");
        var a = g.AutomatonFor(EmptyTrie);
        var e = Encoding.UTF8.GetBytes("é");   // C3 A9
        var half = a.Step(a.Initial, e[0]);
        Assert.NotEqual(GrammarAutomaton.Dead, half);
        Assert.False(a.IsAccepting(half));
        Assert.True(a.IsAccepting(a.Step(half, e[1])));
        Assert.Equal(GrammarAutomaton.Dead, a.Step(a.Initial, 0xC4));   // starts U+0100 and above
        Assert.Equal(GrammarAutomaton.Dead, a.Step(a.Initial, 0xA9));   // a continuation byte first
    }

    [Theory]
    [InlineData("root ::= \"a\" x", 1, 14, "`x` is used but never defined")]
    [InlineData("root ::= [a-z\n", 1, 10, "never closed")]
    [InlineData("root ::= \"a\"\nfoo ::= (\"b\" | \"c\"", 2, 9, "`(` is never closed")]
    [InlineData("# comment\nroot ::= \"a\"{3,1}", 2, 13, "maximum below its minimum")]
    [InlineData("root := \"a\"", 1, 6, "expected `::=`")]
    [InlineData("root ::= \"\\q\"", 1, 11, "unknown escape")]
    [InlineData("root ::= * \"a\"", 1, 10, "nothing before it to repeat")]
    public void SyntaxErrorsSayWhere(string gbnf, int line, int column, string message)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.Parse(gbnf));
        Assert.Contains(message, e.Message);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains($"line {line}, column {column}", e.Message);
    }

    [Fact]
    public void LeftRecursionAndMissingRootAreRefused()
    {
        Assert.Contains("left recursion", Assert.Throws<GrammarException>(() => Grammar.Parse("root ::= root \"a\" | \"b\"")).Message);
        Assert.Contains("left recursion", Assert.Throws<GrammarException>(() => Grammar.Parse("root ::= x \"a\"\nx ::= y\ny ::= \"\" | root")).Message);
        Assert.Contains("no `root` rule", Assert.Throws<GrammarException>(() => Grammar.Parse("start ::= \"a\"")).Message);
    }

    [Fact]
    public void RepetitionBoundsAreExact()
    {
        var g = Grammar.Parse("root ::= \"ab\"{2,4} \"!\"");
        Assert.False(Matches(g, "ab!"));
        Assert.True(Matches(g, "abab!"));
        Assert.True(Matches(g, "abababab!"));
        Assert.False(Matches(g, "ababababab!"));
        var open = Grammar.Parse("root ::= [x]{3,}");
        Assert.False(Matches(open, "xx"));
        Assert.True(Matches(open, new string('x', 500)));
    }

    [Fact]
    public void DeepRepetitionKeepsTheStateCountSmall()
    {
        // Tail-recursive repetition: every character after the first returns to the same state.
        var g = Grammar.Parse("root ::= [a-z]* \".\"");
        var a = g.AutomatonFor(EmptyTrie);
        var s = a.Walk(a.Initial, Encoding.UTF8.GetBytes(new string('q', 10_000)));
        Assert.NotEqual(GrammarAutomaton.Dead, s);
        Assert.True(a.StateCount < 5, $"{a.StateCount} states");
    }
}
