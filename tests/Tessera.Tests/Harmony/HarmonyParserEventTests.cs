// The event stream itself: order of tool-call events, how early text comes out, turn ends, ids, literal specials.

using Tessera.Chat.Harmony;
using static Tessera.Chat.Harmony.HarmonyEvent;
using static Tessera.Tests.Harmony.HarmonyParserTestKit;

namespace Tessera.Tests.Harmony;

public class HarmonyParserEventTests
{
    private static List<HarmonyEvent> Events(string completion, HarmonyTurnEndReason finish = HarmonyTurnEndReason.Length) =>
        Feed(HarmonyParser.SplitSpecials(completion), finish).Events;

    [Fact]
    public void ToolCallEventsComeInOrder()
    {
        var events = Events("<|channel|>analysis<|message|>Go.<|end|><|start|>assistant to=functions.get_weather"
            + "<|channel|>commentary <|constrain|>json<|message|>{}<|call|>");
        HarmonyEvent[] expected =
        [
            ReasoningDelta("Go."), MessageEnd("analysis"),
            ToolCallStart(0, "call_0", "get_weather"), ToolCallArgumentsDelta(0, "{}"), ToolCallEnd(0), MessageEnd("commentary"),
            TurnEnd(HarmonyTurnEndReason.Call),
        ];
        Assert.Equal(expected, events);
    }

    [Fact]
    public void MessagesReportTheirChannels()
    {
        var events = Events("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|message|>b<|end|>"
            + "<|start|>assistant<|channel|>final<|message|>c<|return|>");
        HarmonyEvent[] expected =
        [
            ReasoningDelta("a"), MessageEnd("analysis"), ContentDelta("b"), MessageEnd(null), ContentDelta("c"), MessageEnd("final"),
            TurnEnd(HarmonyTurnEndReason.Return),
        ];
        Assert.Equal(expected, events);
    }

    [Fact]
    public void BodyTextComesOutAtOnceAndHeaderTextIsHeld()
    {
        var parser = new HarmonyParser(SequentialIds);
        var events = new List<HarmonyEvent>();
        parser.Push(HarmonyTokens.Channel, "<|channel|>", events);
        parser.Push(1, "anal", events);
        parser.Push(2, "ysis", events);
        Assert.Empty(events);
        parser.Push(HarmonyTokens.Message, "<|message|>", events);
        Assert.Empty(events);
        parser.Push(3, "Th", events);
        Assert.Equal([ReasoningDelta("Th")], events);
        parser.Push(4, "", events);
        Assert.Single(events);
        parser.Push(5, "ink", events);
        Assert.Equal([ReasoningDelta("Th"), ReasoningDelta("ink")], events);
    }

    [Fact]
    public void PlainTextComesOutAtItsFirstCharacterThatCannotBeAHeader()
    {
        var parser = new HarmonyParser();
        var events = new List<HarmonyEvent>();
        parser.Push(1, "Hel", events);
        Assert.Equal([ContentDelta("Hel")], events);

        parser = new HarmonyParser();
        events.Clear();
        parser.Push(1, "to", events);
        Assert.Empty(events); // could still be " to=functions.x"
        parser.Push(2, " be", events);
        Assert.Equal([ContentDelta("to be")], events);
    }

    [Fact]
    public void FinishAfterAnEndTokenAddsNothing()
    {
        var parser = new HarmonyParser();
        var events = new List<HarmonyEvent>();
        foreach (var (id, text) in HarmonyParser.SplitSpecials("<|channel|>final<|message|>Hi<|return|>"))
            parser.Push(id, text, events);
        int count = events.Count;
        parser.Finish(events);
        parser.Finish(events);
        Assert.Equal(count, events.Count);
        Assert.Equal(TurnEnd(HarmonyTurnEndReason.Return), events[^1]);
    }

    [Fact]
    public void FinishReportsTheCallersReason()
    {
        var events = Events("<|channel|>final<|message|>Hello", HarmonyTurnEndReason.Stop);
        Assert.Equal([ContentDelta("Hello"), TurnEnd(HarmonyTurnEndReason.Stop)], events);
        Assert.Equal("stop", HarmonyParser.Parse("<|channel|>final<|message|>Hello", unterminatedReason: HarmonyTurnEndReason.Stop).FinishReason);
    }

    [Fact]
    public void TruncatedToolCallReportsLength()
    {
        var result = HarmonyParser.Parse(" to=functions.f<|channel|>commentary json<|message|>{\"a\":", SequentialIds);
        Assert.Equal("length", result.FinishReason);
        Assert.Equal([Tool(0, "f", "{\"a\":")], result.ToolCalls);
    }

    [Fact]
    public void DefaultToolCallIdsAreRandomAndPrefixed()
    {
        var result = HarmonyParser.Parse("<|channel|>commentary to=functions.a json<|message|>{}<|end|>"
            + "<|start|>assistant to=functions.b<|channel|>commentary json<|message|>{}<|call|>");
        Assert.Equal(2, result.ToolCalls.Count);
        Assert.All(result.ToolCalls, c => Assert.Matches("^call_[A-Za-z0-9]{24}$", c.Id));
        Assert.NotEqual(result.ToolCalls[0].Id, result.ToolCalls[1].Id);
    }

    [Fact]
    public void SpecialsOnlyOutsideTheHarmonyRangeAreText()
    {
        var parser = new HarmonyParser();
        var events = new List<HarmonyEvent>();
        parser.Push(HarmonyTokens.Message, "<|message|>", events);
        parser.Push(HarmonyTokens.FirstPadding + 5, "[PAD200024]", events);
        parser.Push(HarmonyTokens.EndOfPrompt, "<|endofprompt|>", events);
        parser.Push(-1, "a", events);
        parser.Push(HarmonyTokens.VocabularySize, "b", events);
        parser.Push(0, "c", events);
        Assert.Equal([ContentDelta("a"), ContentDelta("b"), ContentDelta("c")], events);
    }

    [Fact]
    public void SplitSpecialsFindsLiteralSpecialTokensOnly()
    {
        var pieces = HarmonyParser.SplitSpecials("a<|channel|>b<|foo|><|<|reserved_200004|>|><|end|").ToArray();
        (int, string)[] expected =
        [
            (-1, "a"), (HarmonyTokens.Channel, "<|channel|>"), (-1, "b<|foo|><|"), (200004, "<|reserved_200004|>"), (-1, "|><|end|"),
        ];
        Assert.Equal(expected, pieces);
    }

    [Fact]
    public void AccumulatorBeforeTheTurnEndsHasNoFinishReason()
    {
        var accumulator = new HarmonyAccumulator();
        accumulator.Add(ContentDelta("x"));
        accumulator.Add(ToolCallArgumentsDelta(3, "ignored: no such call"));
        Assert.Equal(new HarmonyParseResult("x", "", [], null), accumulator.ToResult());
    }
}
