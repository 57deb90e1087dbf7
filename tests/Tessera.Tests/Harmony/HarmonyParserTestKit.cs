// Helpers for the harmony output parser tests: turn a completion written as text into tokens split at random places,
// feed them to HarmonyParser one at a time, accumulate the result.

using System.Globalization;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

internal static class HarmonyParserTestKit
{
    public static readonly Func<int, string> SequentialIds = i => "call_" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Special tokens as their ids; ordinary text cut into pieces of 1 .. <paramref name="maxPiece"/> characters
    /// (never inside a surrogate pair), with an empty piece now and then, as for a token that ends inside a character.</summary>
    public static List<(int Id, string Text)> Tokenize(string completion, Random random, int maxPiece)
    {
        var tokens = new List<(int, string)>();
        foreach (var (id, text) in HarmonyParser.SplitSpecials(completion))
        {
            if (id >= 0)
            {
                tokens.Add((id, text));
                continue;
            }
            tokens.AddRange(Chop(text, random, maxPiece));
        }
        return tokens;
    }

    /// <summary>Cuts ordinary text into random pieces with random ordinary-token ids.</summary>
    public static IEnumerable<(int Id, string Text)> Chop(string text, Random random, int maxPiece)
    {
        for (int at = 0; at < text.Length;)
        {
            if (random.Next(8) == 0)
                yield return (random.Next(HarmonyTokens.BaseTokenCount), "");
            int length = Math.Min(random.Next(1, maxPiece + 1), text.Length - at);
            if (char.IsHighSurrogate(text[at + length - 1]) && at + length < text.Length)
                length++;
            yield return (random.Next(HarmonyTokens.BaseTokenCount), text.Substring(at, length));
            at += length;
        }
    }

    public static (HarmonyParseResult Result, List<HarmonyEvent> Events) Feed(IEnumerable<(int Id, string Text)> tokens,
        HarmonyTurnEndReason finishReason = HarmonyTurnEndReason.Length)
    {
        var parser = new HarmonyParser(SequentialIds);
        var events = new List<HarmonyEvent>();
        foreach (var (id, text) in tokens)
            parser.Push(id, text, events);
        parser.Finish(events, finishReason);
        var accumulator = new HarmonyAccumulator();
        accumulator.AddRange(events);
        return (accumulator.ToResult(), events);
    }

    public static HarmonyParseResult Result(string content = "", string reasoning = "", string? finish = "stop",
        params HarmonyToolCall[] toolCalls) => new(content, reasoning, toolCalls, finish);

    public static HarmonyToolCall Tool(int index, string name, string arguments) => new(SequentialIds(index), name, arguments);
}
