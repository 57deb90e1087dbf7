// The sweep the issue asks for: every option of every command, given values it cannot take (not a number, out of range,
// infinite, not one of the names it accepts), ends with exit code 1 and an error in words: no .NET type name, no
// "(Parameter 'x')" tail, no stack trace. The options come from the real command tree, so a new option is swept too.
// Each case runs the real command in-process against the tiny model with otherwise working arguments (a value that
// slipped through would run the command and exit 0, which fails the case).

using System.CommandLine;
using System.Text.RegularExpressions;
using Tessera.Cli;
using Tessera.Hub;

namespace Tessera.Tests.Cli;

public partial class BadValueSweepTests
{
    // Options whose every value is valid text (a prompt, a name to report, a key) or a path to write.
    private static readonly HashSet<string> FreeText = ["--system", "--prompt", "--alias", "--api-key", "--output", "--ids-out"];
    // Arguments that make each command work, so that only the option under test can fail it.
    private static Dictionary<string, string?> Baseline(string command, string messages) => command switch
    {
        "run" => new() { ["--model"] = TestModels.Tiny, ["--prompt"] = "Hi", ["--max-tokens"] = "1", ["--device"] = "cpu" },
        "chat" => new() { ["--model"] = TestModels.Tiny, ["--max-tokens"] = "1", ["--device"] = "cpu" },
        "serve" => new() { ["--model"] = TestModels.Tiny, ["--port"] = "0", ["--device"] = "cpu", ["--quiet"] = null },
        "bench" => new() { ["--model"] = TestModels.Tiny, ["--n-prompt"] = "4", ["--n-gen"] = "1", ["--repetitions"] = "1", ["--device"] = "cpu" },
        "logits" => new() { ["--model"] = TestModels.Tiny, ["--prompt"] = "Hi", ["--output"] = TestModels.TempPath("logits.bin") },
        "tokenize" => new() { ["--model"] = TestModels.Tiny },
        "render" => new() { ["--messages"] = messages },
        "plan" => new() { ["--model"] = TestModels.Tiny, ["--gpu-memory"] = "1GiB", ["--gpu-bandwidth"] = "1000", ["--cpu-bandwidth"] = "40" },
        "make-test-model" => new() { ["--output"] = TestModels.TempPath("made.gguf"), ["--layers"] = "1" },
        _ => [],
    };


    // Values a user might type that the option's type cannot be, or that no option of that type accepts.
    private static IEnumerable<string> BadValues(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(int) || type == typeof(long)) return ["abc", "1.5", "99999999999999999999", "-99999"];
        if (type == typeof(ulong) || type == typeof(uint)) return ["abc", "-5", "99999999999999999999"];
        if (type == typeof(float) || type == typeof(double)) return ["abc", "nan", "1e400", "-1e30"];
        if (type == typeof(string) || type == typeof(string[])) return FreeText.Contains(option.Name) ? [] : ["bogus-value", ""];
        return [];   // flags
    }

    public static IEnumerable<TheoryDataRow<string, string, string>> Cases()
    {
        var root = TesseraCommand.Build(TextWriter.Null, TextWriter.Null, TextReader.Null, new HubEnvironment(Path.GetTempPath()));
        foreach (var command in root.Subcommands)
            foreach (var option in command.Options.Where(o => o is not (System.CommandLine.Help.HelpOption or VersionOption)))
                foreach (var value in BadValues(option))
                    yield return new(command.Name, option.Name, value);
    }

    // Arguments: a model that is no file and no name, a repository that is no repository (refused before any request).
    [Theory]
    [InlineData("inspect", "bogus-value")]
    [InlineData("inspect", "")]
    [InlineData("pull", "bogus-value")]
    [InlineData("pull", "a/b/c:x")]
    public void ABadArgumentIsAnErrorInWords(string command, string value)
    {
        var (code, output, err) = CliRunner.Run(command, value);
        Assert.True(code == 1, $"tessera {command} \"{value}\" exited {code}:\n{output}{err}");
        Assert.StartsWith("error: ", err);
        Assert.DoesNotMatch(DotNetType(), output + err);
        Assert.DoesNotContain("   at ", output + err);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Cases))]
    public async Task ABadValueIsAnErrorInWords(string command, string option, string value)
    {
        var messages = TestModels.TempPath("messages.json");
        File.WriteAllText(messages, """[{"role":"user","content":"Hi"}]""");
        var arguments = Baseline(command, messages);
        arguments[option] = value;
        string[] args = [command, .. arguments.SelectMany(a => a.Value is null ? [a.Key] : new[] { a.Key, a.Value })];
        if (command == "tokenize") args = [.. args, "Hello"];

        // A value that slipped through could start serving; the case must still end.
        var run = Task.Run(() => CliRunner.RunWith(null, "", args), TestContext.Current.CancellationToken);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken)) == run;
        Assert.True(finished, $"tessera {string.Join(' ', args)} accepted {option} {value} and kept running");
        var (code, output, err) = await run;
        var all = output + err;
        Assert.True(code == 1, $"tessera {string.Join(' ', args)} exited {code}:\n{all}");
        Assert.Contains(err.Replace("\r\n", "\n").Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotMatch(DotNetType(), all);
        Assert.DoesNotContain("(Parameter '", all);
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain("Exception", all);
    }

    // System.Int32, System.Nullable`1[...], List`1, Tessera.Chat.ChatMessage and the like.
    [GeneratedRegex(@"System\.[A-Z]\w+|`\d|\bTessera\.[A-Z]\w*\.")]
    private static partial Regex DotNetType();
}
