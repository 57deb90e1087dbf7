// Property tests: random token soups never throw and parse the same however their text is split; generated turns of
// well-formed, broken and garbage messages lose no body text and route every body where it belongs.

using System.Text;
using Tessera.Chat.Harmony;
using static Tessera.Tests.Harmony.HarmonyParserTestKit;

namespace Tessera.Tests.Harmony;

public class HarmonyParserFuzzTests
{
    private static readonly string[] Fragments =
    [
        "to=", "functions.", "get_weather", "analysis", "final", "commentary", "json", "assistant", " ", "\n", "to", "a",
        "Hello", "!", ", ", "é", "🌧", "{\"a\":1}", "<|", "|>", "<|end|>", "python", "=", ".", "\t",
    ];

    private static readonly int[] NoiseSpecials =
    [
        HarmonyTokens.StartOfText, HarmonyTokens.EndOfPrompt, HarmonyTokens.Message, HarmonyTokens.Constrain, 200000, 200004, 200013,
    ];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(0, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomTokenSoupNeverThrowsAndIgnoresHowTextIsSplit(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 50; round++)
        {
            var soup = new List<(int Id, string Text)>();
            int count = random.Next(0, 40);
            for (int i = 0; i < count; i++)
            {
                if (random.Next(3) == 0)
                {
                    int id = random.Next(4) == 0 ? random.Next(HarmonyTokens.FirstPadding, HarmonyTokens.VocabularySize)
                        : random.Next(HarmonyTokens.StartOfText, HarmonyTokens.FirstPadding);
                    soup.Add((id, HarmonyTokens.SpecialText(id) ?? $"[PAD{id}]"));
                }
                else
                {
                    soup.Add((random.Next(HarmonyTokens.BaseTokenCount), Fragments[random.Next(Fragments.Length)]));
                }
            }
            var reference = Feed(soup).Result;
            var resplit = Feed(Resplit(soup, random)).Result;
            Assert.True(reference == resplit, $"round {round}: {string.Join("·", soup.Select(t => t.Text))}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GeneratedTurnsLoseNoTextAndRouteEveryBody(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 25; round++)
        {
            var (tokens, expected) = GenerateTurn(random);
            var (result, _) = Feed(tokens);
            string completion = string.Concat(tokens.Select(t => t.Text));
            Assert.True(expected == result, $"round {round}: {completion}");
            Assert.Equal(expected, HarmonyParser.Parse(completion, SequentialIds));
        }
    }

    // Merges each run of ordinary text and cuts it again elsewhere.
    private static IEnumerable<(int Id, string Text)> Resplit(List<(int Id, string Text)> tokens, Random random)
    {
        var run = new StringBuilder();
        foreach (var (id, text) in tokens)
        {
            if (id < HarmonyTokens.StartOfText)
            {
                run.Append(text);
                continue;
            }
            foreach (var piece in Chop(run.ToString(), random, 3))
                yield return piece;
            run.Clear();
            yield return (id, text);
        }
        foreach (var piece in Chop(run.ToString(), random, 3))
            yield return piece;
    }

    private enum Route { Content, Reasoning, Tool }

    private static readonly (string Header, Route Route)[] Headers =
    [
        ("<|channel|>analysis<|message|>", Route.Reasoning),
        ("<|start|>assistant<|channel|>analysis<|message|>", Route.Reasoning),
        ("<|start|>assistant<|channel|>final<|message|>", Route.Content),
        ("<|channel|>final <|constrain|>json<|message|>", Route.Content),
        ("<|start|>assistant<|channel|>commentary<|message|>", Route.Content),
        ("<|start|>assistant<|message|>", Route.Content),
        ("<|channel|>mystery<|message|>", Route.Content),
        ("<|start|>assistant to=functions.{0}<|channel|>commentary <|constrain|>json<|message|>", Route.Tool),
        ("<|channel|>commentary to=functions.{0} json<|message|>", Route.Tool),
        ("<|start|>assistant<|channel|>analysis to=functions.{0}<|message|>", Route.Tool),
        ("<|channel|>analysis to=python code<|message|>", Route.Reasoning),
        ("<|channel|>commentary to=assistant<|channel|>analysis<|message|>", Route.Reasoning),
    ];

    private static readonly int[] Terminators = [HarmonyTokens.End, HarmonyTokens.Return, HarmonyTokens.Call, HarmonyTokens.EndOfText, 0];

    private const string BodyAlphabet = "abcdefghijklmnopqrstuvwxyz ABC XYZ 0123456789 \n\t.,;:!?{}[]\"'=<>-_/\\@#éü→";

    // A turn of random messages (every header kind, every way to end, or none) with garbage text between some, and
    // the result it must parse to.
    private static (List<(int Id, string Text)> Tokens, HarmonyParseResult Expected) GenerateTurn(Random random)
    {
        var tokens = new List<(int, string)>();
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        var toolCalls = new List<HarmonyToolCall>();
        int lastEnd = -1; // -1: turn not ended by a token
        bool inBody = false;
        int segments = random.Next(1, 7);
        for (int s = 0; s < segments; s++)
        {
            if (!inBody && random.Next(4) == 0)
            {
                string garbage = RandomText(random, 1, 20) + "!" + RandomText(random, 0, 20);
                tokens.AddRange(Chop(garbage, random, 5));
                content.Append(garbage);
                inBody = true; // plain text continues until a token ends it
                lastEnd = -1;
                continue;
            }
            var (header, route) = Headers[random.Next(Headers.Length)];
            string name = "fn" + random.Next(100);
            foreach (var (id, text) in HarmonyParser.SplitSpecials(string.Format(header, name)))
                tokens.AddRange(id >= 0 ? [(id, text)] : Chop(text, random, 4));

            string body = RandomText(random, 1, 60);
            foreach (var piece in Chop(body, random, 6))
            {
                tokens.Add(piece);
                if (random.Next(10) == 0)
                {
                    int noise = NoiseSpecials[random.Next(NoiseSpecials.Length)];
                    tokens.Add((noise, HarmonyTokens.SpecialText(noise)!));
                }
            }
            switch (route)
            {
                case Route.Content: content.Append(body); break;
                case Route.Reasoning: reasoning.Append(body); break;
                default: toolCalls.Add(Tool(toolCalls.Count, name, body)); break;
            }

            int end = Terminators[random.Next(Terminators.Length)];
            inBody = end == 0;
            lastEnd = end is HarmonyTokens.Return or HarmonyTokens.Call or HarmonyTokens.EndOfText ? end : -1;
            if (end != 0)
                tokens.Add((end, HarmonyTokens.SpecialText(end)!));
        }
        string finish = lastEnd < 0 ? "length" : toolCalls.Count > 0 ? "tool_calls" : "stop";
        return (tokens, new HarmonyParseResult(content.ToString(), reasoning.ToString(), toolCalls, finish));
    }

    private static string RandomText(Random random, int min, int max)
    {
        var text = new StringBuilder();
        int length = random.Next(min, max + 1);
        for (int i = 0; i < length; i++)
        {
            if (random.Next(40) == 0)
                text.Append("🌧");
            else
                text.Append(BodyAlphabet[random.Next(BodyAlphabet.Length)]);
        }
        return text.ToString();
    }
}
