// The harmony frame around a grammar, token by token with the real o200k_harmony vocabulary: what gpt-oss writes
// when it answers or calls a tool passes; an answer ended early, a wrong channel, a second analysis or text after the
// end do not; masks agree with the token-by-token checks.

using Tessera.Chat.Harmony;
using Tessera.Constraints;
using Tessera.Tests.Api;

namespace Tessera.Tests.Constraints;

public class HarmonyConstraintTests
{
    private static TokenTrie Trie => TokenTrie.For(ScriptedPredictor.Tokenizer);

    private static int[] Tokens(string text) => ScriptedPredictor.Tokenizer.Encode(text, parseSpecial: true);

    private static HarmonyConstraint Answer(Grammar? grammar, int? budget = null) => new(Trie, grammar, null, false, budget);

    // Feeds `text`; returns the index of the first token refused, or -1.
    private static int FirstRefused(HarmonyConstraint c, string text)
    {
        var tokens = Tokens(text);
        for (var i = 0; i < tokens.Length; i++)
        {
            var allowed = c.IsAllowed(tokens[i]);
            Assert.Equal(allowed, c.AllowedTokens().Contains(tokens[i]));
            if (!allowed) return i;
            c.Accept(tokens[i]);
        }
        return -1;
    }

    private static readonly Grammar Person = Grammar.FromJsonSchema(BoundedSchemas.All[0].Schema);

    [Fact]
    public void AnalysisThenAFinalAnswerThatFollowsTheGrammar()
    {
        var c = Answer(Person);
        Assert.Equal(-1, FirstRefused(c, """<|channel|>analysis<|message|>Let me think.<|end|><|start|>assistant<|channel|>final<|message|>{"name":"Ann","age":41}<|return|>"""));
        Assert.True(c.IsComplete);
    }

    [Fact]
    public void TheAnswerCannotEndBeforeTheValueIsComplete()
    {
        var c = Answer(Person);
        Assert.Equal(-1, FirstRefused(c, """<|channel|>final<|message|>{"name":"Ann","age":4"""));
        Assert.False(c.IsAllowed(HarmonyTokens.Return));
        Assert.False(c.IsAllowed(HarmonyTokens.End));
        Assert.Equal(-1, FirstRefused(c, "1}"));
        Assert.True(c.IsAllowed(HarmonyTokens.Return));
        Assert.Equal(new[] { HarmonyTokens.Return }, c.AllowedTokens().Extra);
        Assert.Null(c.AllowedTokens().Bits);   // the value is complete: nothing else can follow
    }

    [Theory]
    [InlineData("<|channel|>commentary<|message|>hi<|end|>")]
    [InlineData("<|message|>{}")]
    [InlineData("final<|message|>")]
    [InlineData("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>analysis<|message|>")]
    [InlineData("<|channel|>final<|message|>{\"age\":1,\"name\":\"x\"}")]
    public void OutsideTheFrameIsRefused(string text) => Assert.NotEqual(-1, FirstRefused(Answer(Person), text));

    [Fact]
    public void TheReasoningBudgetForcesTheEndOfAnalysis()
    {
        var c = Answer(Person, budget: 2);
        Assert.Equal(-1, FirstRefused(c, "<|channel|>analysis<|message|>"));
        var word = Tokens(" word")[0];
        c.Accept(word);
        c.Accept(word);
        Assert.False(c.IsAllowed(word));
        Assert.Equal(new[] { HarmonyTokens.End }, c.AllowedTokens().Extra);
        Assert.Null(c.AllowedTokens().Bits);
        var none = Answer(Person, budget: 0);
        Assert.NotEqual(-1, FirstRefused(none, "<|channel|>analysis<|message|>"));
    }

    [Fact]
    public void RequiredCallHasItsHeaderAndArguments()
    {
        var tools = new Dictionary<string, Grammar> { ["get_weather"] = Grammar.FromJsonSchema("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""") };
        var c = new HarmonyConstraint(Trie, null, tools, callRequired: true, null);
        Assert.Equal(-1, FirstRefused(c, """<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>"""));
        Assert.True(c.IsComplete);
        var first = new HarmonyConstraint(Trie, null, tools, callRequired: true, null);
        Assert.Equal(-1, FirstRefused(first, """ to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Oslo"}<|call|>"""));
        Assert.True(first.IsComplete);
        var later = new HarmonyConstraint(Trie, null, tools, callRequired: true, null);
        Assert.Equal(-1, FirstRefused(later, """<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Rome"}<|call|>"""));
        var final = new HarmonyConstraint(Trie, null, tools, callRequired: true, null);
        Assert.NotEqual(-1, FirstRefused(final, "<|channel|>final<|message|>"));
        var other = new HarmonyConstraint(Trie, null, tools, callRequired: true, null);
        Assert.NotEqual(-1, FirstRefused(other, "<|channel|>commentary to=functions.get_time <|constrain|>"));
    }

    [Fact]
    public void FreeFinalTextAllowsEveryOrdinaryTokenAndTheEnd()
    {
        var c = Answer(null, budget: 0);
        Assert.Equal(-1, FirstRefused(c, "<|channel|>final<|message|>Anything at all, 😀 even.<|return|>"));
    }

    [Fact]
    public void MasksMatchTokenByTokenChecks()
    {
        var c = Answer(Person, budget: 0);
        Assert.Equal(-1, FirstRefused(c, """<|channel|>final<|message|>{"name":"A"""));
        var mask = c.AllowedTokens();
        var rng = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var token = rng.Next(HarmonyTokens.VocabularySize);
            Assert.Equal(c.IsAllowed(token), mask.Contains(token));
        }
        Assert.True(mask.Contains(Tokens("nn")[0]));
        Assert.False(mask.Contains(Tokens("\n")[0]));   // a raw newline cannot be inside a JSON string
    }
}
