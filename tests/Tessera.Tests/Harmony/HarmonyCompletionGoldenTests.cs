// The hand-written golden completions are well-formed harmony: each answers a golden conversation, every message
// has a header and a body, the last ends with a stop token, the others with <|end|>.

namespace Tessera.Tests.Harmony;

public class HarmonyCompletionGoldenTests
{
    public static TheoryData<string> Completions => new(
        Directory.EnumerateFiles(GoldenCase.Folder, "*.completion.txt").Select(f => Path.GetFileName(f)[..^".completion.txt".Length]).Order(StringComparer.Ordinal));

    [Fact]
    public void There_are_completions() => Assert.True(Completions.Count >= 8);

    [Theory]
    [MemberData(nameof(Completions))]
    public void Is_well_formed_harmony(string name)
    {
        Assert.True(File.Exists(Path.Combine(GoldenCase.Folder, name + ".prompt.txt")), $"{name}: no conversation renders the prompt this completes");
        var text = File.ReadAllText(Path.Combine(GoldenCase.Folder, name + ".completion.txt"));

        // The prompt ends with "<|start|>assistant", so the first message's header follows directly.
        var messages = text.Split("<|start|>assistant");
        for (var i = 0; i < messages.Length; i++)
        {
            var message = messages[i];
            var last = i == messages.Length - 1;
            Assert.True(message.StartsWith("<|channel|>", StringComparison.Ordinal) || message.StartsWith(" to=", StringComparison.Ordinal), $"{name}: message {i} starts with neither a channel nor a recipient");
            Assert.Equal(1, Count(message, "<|message|>"));
            if (last) Assert.True(message.EndsWith("<|return|>", StringComparison.Ordinal) || message.EndsWith("<|call|>", StringComparison.Ordinal), $"{name}: does not end with a stop token");
            else Assert.EndsWith("<|end|>", message);
            Assert.Equal(last ? 0 : 1, Count(message, "<|end|>"));
        }
    }

    private static int Count(string text, string token) => text.Split(token).Length - 1;
}
