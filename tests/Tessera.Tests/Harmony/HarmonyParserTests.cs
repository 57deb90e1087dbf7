// Every sample completion parses to its expected result, whole and token by token in many random splits.

using Tessera.Chat.Harmony;
using static Tessera.Tests.Harmony.HarmonyParserTestKit;

namespace Tessera.Tests.Harmony;

public class HarmonyParserTests
{
    [Theory]
    [MemberData(nameof(HarmonyParserSamples.Names), MemberType = typeof(HarmonyParserSamples))]
    public void WholeCompletionParsesToExpected(string sample)
    {
        var (completion, expected) = HarmonyParserSamples.All[sample];
        Assert.Equal(expected, HarmonyParser.Parse(completion, SequentialIds));
    }

    [Theory]
    [MemberData(nameof(HarmonyParserSamples.Names), MemberType = typeof(HarmonyParserSamples))]
    public void TokenByTokenParsesToExpectedInEverySplit(string sample)
    {
        var (completion, expected) = HarmonyParserSamples.All[sample];
        foreach (int maxPiece in (int[])[1, 2, 4, 16])
        {
            for (int seed = 0; seed < 25; seed++)
            {
                var tokens = Tokenize(completion, new Random(seed), maxPiece);
                var (result, _) = Feed(tokens);
                Assert.True(expected == result, $"max piece {maxPiece}, seed {seed}: {Show(tokens)}\n got {Show(result)}");
            }
        }
    }

    [Fact]
    public void HeaderWordsSplitMidWordStillParse()
    {
        (int, string)[] tokens =
        [
            (HarmonyTokens.Channel, "<|channel|>"), (1, "anal"), (2, "ysis"), (HarmonyTokens.Message, "<|message|>"),
            (3, "Hmm."), (HarmonyTokens.End, "<|end|>"), (HarmonyTokens.Start, "<|start|>"), (4, "ass"), (5, "ist"), (6, "ant to"),
            (7, "=func"), (8, "tions.get"), (9, "_weather"), (HarmonyTokens.Channel, "<|channel|>"), (10, "comment"), (11, "ary "),
            (HarmonyTokens.Constrain, "<|constrain|>"), (12, "js"), (13, "on"), (HarmonyTokens.Message, "<|message|>"),
            (14, "{\"location\""), (15, ":\"Paris\"}"), (HarmonyTokens.Call, "<|call|>"),
        ];
        var (result, _) = Feed(tokens);
        Assert.Equal(Result(reasoning: "Hmm.", finish: "tool_calls", toolCalls: Tool(0, "get_weather", "{\"location\":\"Paris\"}")), result);
    }

    private static string Show(IEnumerable<(int Id, string Text)> tokens) => string.Join("·", tokens.Select(t => t.Text));

    private static string Show(HarmonyParseResult r) =>
        $"content={r.Content} reasoning={r.Reasoning} finish={r.FinishReason} calls=[{string.Join(", ", r.ToolCalls)}]";
}
