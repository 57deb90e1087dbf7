// What a new user reads and meets first: README's command table lists every command of the real command tree, the docs
// and README name only files that exist in the repository, and -t far above this machine's processors warns.

using System.Text.RegularExpressions;
using Tessera.Cli;
using Tessera.Hub;

namespace Tessera.Tests.Cli;

public partial class HousekeepingTests
{
    private static string Repository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx"))) dir = dir.Parent;
        if (dir is null) Assert.Skip("the repository (Tessera.slnx) is not above the test binaries (a published test run)");
        return dir.FullName;
    }

    [Fact]
    public void TheReadmeTableListsEveryCommand()
    {
        var readme = File.ReadAllText(Path.Combine(Repository(), "README.md"));
        var rows = TableRow().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet();
        var root = TesseraCommand.Build(TextWriter.Null, TextWriter.Null, TextReader.Null, new HubEnvironment(Path.GetTempPath()));
        Assert.NotEmpty(root.Subcommands);
        foreach (var command in root.Subcommands)
            Assert.True(rows.Contains(command.Name), $"README's command table has no row for `{command.Name}`");
    }

    [Fact]
    public void TheDocsNameFilesThatExist()
    {
        var repository = Repository();
        var files = Directory.EnumerateFiles(repository, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(repository, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToList();
        var missing = new List<string>();
        foreach (var doc in Directory.EnumerateFiles(Path.Combine(repository, "docs"), "*.md").Append(Path.Combine(repository, "README.md")))
            foreach (Match m in FileName().Matches(File.ReadAllText(doc)))
            {
                // `a/b/C.cs` may be relative to a folder the text names, `../X.cs` to the one before, `tests/.../X.cs` elided.
                var name = m.Groups[1].Value;
                while (name.StartsWith("../", StringComparison.Ordinal)) name = name[3..];
                var pattern = new Regex("(^|/)" + string.Join(".*", name.Split(["...", "*"], StringSplitOptions.None).Select(Regex.Escape)) + "$");
                if (!files.Any(pattern.IsMatch)) missing.Add($"{Path.GetFileName(doc)}: {m.Groups[1].Value}");
            }
        Assert.Empty(missing);
    }

    [Fact]
    public void ThreadsFarAboveTheProcessorsWarn()
    {
        var many = Environment.ProcessorCount * 4;
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "1", "--device", "cpu", "-t", many.ToString());
        Assert.True(code == 0, err);
        Assert.StartsWith($"warning: -t {many} is more than the {Environment.ProcessorCount} processors of this machine", err);

        (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "1", "--device", "cpu", "-t", "1");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", err);
    }

    // | `name ...` | in the command table.
    [GeneratedRegex(@"^\| `([a-z-]+)[ `]", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    // A backticked path or file name with an extension of a file kind the repository holds (not a bare ".cu").
    [GeneratedRegex(@"`([\w./*-]*\w[\w./*-]*\.(?:cs|md|cu|ptx|sh|mjs|py|json|csproj|props|slnx|png))`")]
    private static partial Regex FileName();
}
