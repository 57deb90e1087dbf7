// Every golden conversation renders byte for byte as the gpt-oss Jinja chat template does
// (goldens made by tools/harmony-golden/render-golden.mjs; gpt-oss-facts.md §6).

using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

public class HarmonyGoldenTests
{
    public static TheoryData<string> Cases => new(GoldenCase.Names);

    [Fact]
    public void There_are_goldens() => Assert.True(GoldenCase.Names.Count() >= 14, $"no goldens found in {GoldenCase.Folder}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_as_the_chat_template(string name)
    {
        var golden = GoldenCase.Load(name);
        var promptFile = Path.Combine(GoldenCase.Folder, name + ".prompt.txt");
        var errorFile = Path.Combine(GoldenCase.Folder, name + ".error.txt");

        if (golden.ExpectError)
        {
            var e = Assert.Throws<HarmonyRenderException>(() => HarmonyRenderer.Render(golden.Messages, golden.Options()));
            Assert.Equal(File.ReadAllText(errorFile), e.Message);
        }
        else
        {
            Assert.Equal(File.ReadAllText(promptFile), HarmonyRenderer.Render(golden.Messages, golden.Options()));
        }
    }
}
