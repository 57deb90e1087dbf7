// llama.cpp's spellings that mean something on their own: -n -1 (until the context is full), --seed -1 (a random seed),
// --ctx beside -c/--ctx-size on every command that loads a model; other negative values are refused in words.

namespace Tessera.Tests.Cli;

public class LlamaCppSpellingTests
{
    [Fact]
    public void MinusOneTokensMeansUntilTheContextIsFull()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "-1", "--ctx", "160", "--seed", "1", "--device", "cpu");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void MinusOneSeedMeansARandomSeed()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "2", "--seed", "-1", "--device", "cpu");
        Assert.True(code == 0, err);
    }

    [Theory]
    [InlineData("-n", "-2", "-n must be -1 (until the context is full) or a count of tokens, not -2")]
    [InlineData("--seed", "-7", "--seed must be -1 (a random seed) or a number from 0 up, not -7")]
    public void OtherNegativeValuesAreRefusedInWords(string option, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", option, value, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void CtxIsTheContextSizeOnChatToo()
    {
        var (code, _, err) = CliRunner.RunWith(null, "Hi\n", "chat", "-m", TestModels.Tiny, "-n", "2", "--ctx", "300", "--device", "cpu");
        Assert.True(code == 0, err);
    }
}
