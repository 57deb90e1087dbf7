// Every golden completion through the streaming parser: as the real tokenizer splits it (one token at a time, text from
// the streaming detokenizer) and in random chunks; both must give what the completion's structure says.

using System.Text.RegularExpressions;
using Tessera.Chat.Harmony;
using Tessera.Gguf;
using Tessera.Tokenization;

namespace Tessera.Tests.Harmony;

public partial class HarmonyParserGoldenCompletionTests
{
    private static readonly Lazy<BpeTokenizer> Tokenizer = new(() =>
    {
        using var file = GgufFile.Open(TestModels.Tiny);
        return GgufTokenizer.Load(file);
    });

    public static TheoryData<string> Completions => HarmonyCompletionGoldenTests.Completions;

    /// <summary>The result read off the completion's structure: analysis → reasoning, to=functions.X → a call,
    /// other channels → content.</summary>
    private static HarmonyParseResult Expected(string completion)
    {
        string content = "", reasoning = "";
        var calls = new List<HarmonyToolCall>();
        foreach (var message in completion.Split("<|start|>assistant"))
        {
            var header = message[..message.IndexOf("<|message|>", StringComparison.Ordinal)];
            var body = Terminator().Replace(message[(header.Length + "<|message|>".Length)..], "");
            if (Recipient().Match(header) is { Success: true } m) calls.Add(new("call_" + calls.Count, m.Groups[1].Value, body));
            else if (header.Contains("<|channel|>analysis", StringComparison.Ordinal)) reasoning += body;
            else content += body;
        }
        // A call to a built-in tool (python, browser) is reasoning to Tessera, which runs no built-in tools.
        var finish = calls.Count > 0 ? "tool_calls" : "stop";
        return new(content, reasoning, calls, finish);
    }

    [Theory]
    [MemberData(nameof(Completions))]
    public void RealTokensOneAtATime(string name)
    {
        var completion = File.ReadAllText(Path.Combine(GoldenCase.Folder, name + ".completion.txt"));
        var ids = Tokenizer.Value.Encode(completion, parseSpecial: true);
        var detokenizer = Tokenizer.Value.CreateStreamingDetokenizer();
        var tokens = ids.Select(id => (id, detokenizer.Append(id))).ToList();
        var (result, _) = HarmonyParserTestKit.Feed(tokens);
        Assert.Equal(Expected(completion), result);
        Assert.Equal(HarmonyParser.Parse(completion, HarmonyParserTestKit.SequentialIds), result);
    }

    [Theory]
    [MemberData(nameof(Completions))]
    public void RandomChunks(string name)
    {
        var completion = File.ReadAllText(Path.Combine(GoldenCase.Folder, name + ".completion.txt"));
        var expected = Expected(completion);
        for (var seed = 0; seed < 20; seed++)
        {
            var (result, _) = HarmonyParserTestKit.Feed(HarmonyParserTestKit.Tokenize(completion, new Random(seed), maxPiece: 1 + seed % 7));
            Assert.Equal(expected, result);
        }
    }

    [GeneratedRegex(@"(<\|end\|>|<\|return\|>|<\|call\|>)$")]
    private static partial Regex Terminator();

    [GeneratedRegex(@"to=functions\.([A-Za-z0-9_\-]+)")]
    private static partial Regex Recipient();
}
