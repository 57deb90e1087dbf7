// `tessera serve`: its options, and the one-line errors for options that cannot work (checked before the model loads).

using Tessera.Cli;

namespace Tessera.Server.Tests;

public class ServeCommandTests
{
    private static (int ExitCode, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // An empty home: -m names are looked up there, never in this machine's model folders.
        var home = Path.Combine(Path.GetTempPath(), $"tessera-serve-{Guid.NewGuid():N}");
        var code = TesseraCommand.Run(args, stdout, stderr, new StringReader(""), new Hub.HubEnvironment(home));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var (code, output, _) = Run("serve", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--model", "--host", "--port", "--api-key", "--ctx", "--threads", "--queue-limit", "--alias" })
            Assert.Contains(option, output);
    }

    [Theory]
    [InlineData("port must be between 0 and 65535", "--port", "70000")]
    [InlineData("queue limit must not be negative", "--queue-limit", "-1")]
    [InlineData("the API key must not be empty", "--api-key", "")]
    [InlineData("host must not be empty", "--host", " ")]
    public void ImpossibleOptionsAreOneLineErrors(string message, string option, string value)
    {
        var (code, _, error) = Run("serve", "-m", "no-such-model.gguf", option, value);
        Assert.Equal(1, code);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("(Parameter", error);
    }

    [Fact]
    public void MissingModelFile()
    {
        var (code, _, error) = Run("serve", "-m", "no-such-model.gguf", "--port", "0");
        Assert.Equal(1, code);
        Assert.Contains("no-such-model.gguf", error);
    }
}
