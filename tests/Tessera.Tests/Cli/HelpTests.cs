// Help and usage name the command as people type it, `tessera`, whatever the executable is called (Tessera.Cli under
// `dotnet run`, or a renamed single-file publish); --help, -h, -? and --version work on the root and every subcommand.

namespace Tessera.Tests.Cli;

public class HelpTests
{
    [Theory]
    [InlineData(new[] { "--help" }, "tessera [command] [options]")]
    [InlineData(new[] { "-h" }, "tessera [command] [options]")]
    [InlineData(new[] { "bench", "--help" }, "tessera bench [options]")]
    [InlineData(new[] { "plan", "-?" }, "tessera plan [options]")]
    [InlineData(new[] { "run", "-h" }, "tessera run [options]")]
    public void UsageLinesSayTessera(string[] args, string usage)
    {
        var (code, output, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        Assert.Contains("Usage:\n  " + usage, output.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Tessera.Cli", output + err);
    }

    [Fact]
    public void AMistypedCommandShowsUsageThatSaysTessera()
    {
        var (code, output, err) = CliRunner.Run("nosuch");
        Assert.NotEqual(0, code);
        Assert.Contains("Unrecognized command or argument 'nosuch'", output + err);
        Assert.DoesNotContain("Tessera.Cli", output + err);
    }

    [Fact]
    public void VersionPrintsAVersion()
    {
        var (code, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Fact]
    public void NothingTypedListsTheCommandsWithAUsageErrorCode()
    {
        var (code, output, _) = CliRunner.Run();
        Assert.Equal(1, code);
        Assert.Contains("Usage:\n  tessera [command] [options]", output.ReplaceLineEndings("\n"));
        Assert.Contains("chat", output);
    }
}
