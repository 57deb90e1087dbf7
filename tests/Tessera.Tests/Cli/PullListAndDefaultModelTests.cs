// `tessera pull` and `tessera list`, and `run` without -m (which chat shares): the LM Studio copy is used, or
// gpt-oss-20b is downloaded from a fake Hub on loopback into TESSERA_HOME. Each test has its own home and variables.

using System.Text.RegularExpressions;
using Tessera.Hub;
using Tessera.Tests.Hub;

namespace Tessera.Tests.Cli;

public class PullListAndDefaultModelTests
{
    private static HubEnvironment Home(FakeHub? hub = null, string? home = null)
    {
        var variables = new Dictionary<string, string>();
        if (hub is not null) variables["TESSERA_HF_ENDPOINT"] = hub.Endpoint;
        return new HubEnvironment(home ?? TestModels.TempPath("home"), variables);
    }

    [Fact(Timeout = 60_000)]
    public async Task PullDownloadsOnceAndSaysWhere()
    {
        var content = new byte[100_000];
        "GGUF"u8.CopyTo(content);
        await using var hub = new FakeHub("test-org/tiny-GGUF", "tiny-Q8_0.gguf", content);
        hub.Add("tiny-F16.gguf", content);
        var environment = Home(hub);

        var (code, output, err) = CliRunner.RunWith(environment, null, "pull", "test-org/tiny-GGUF:q8_0");
        Assert.True(code == 0, err);
        var path = Path.Combine(environment.TesseraModels, "test-org", "tiny-GGUF", "tiny-Q8_0.gguf");
        Assert.Equal($"saved {path} (100.00 kB, sha256 {FakeHub.Sha256(content)} verified)", output.Trim());
        Assert.Contains($"downloading test-org/tiny-GGUF:tiny-Q8_0.gguf to {path}", err);
        Assert.True(File.Exists(path));

        (code, output, _) = CliRunner.RunWith(environment, null, "pull", "test-org/tiny-GGUF:tiny-Q8_0.gguf");
        Assert.Equal(0, code);
        Assert.Equal($"{path} is already downloaded (100.00 kB)", output.Trim());

        (code, _, err) = CliRunner.RunWith(environment, null, "pull", "test-org/tiny-GGUF");
        Assert.Equal(1, code);
        Assert.Equal("error: test-org/tiny-GGUF has several GGUF files: tiny-Q8_0.gguf, tiny-F16.gguf; choose one with test-org/tiny-GGUF:FILE", err.Trim());

        (code, _, err) = CliRunner.RunWith(environment, null, "pull", "test-org/tiny-GGUF:nope.gguf");
        Assert.Equal(1, code);
        Assert.StartsWith("error: test-org/tiny-GGUF:nope.gguf was not found (HTTP 404", err.TrimEnd().Split('\n')[^1]);
        Assert.Single(err.TrimEnd().Split('\n'), l => l.StartsWith("error", StringComparison.Ordinal));
    }

    [Fact]
    public void ListShowsPathSizeAndSourceInPriorityOrder()
    {
        var environment = Home();
        var llama = Path.Combine(environment.LlamaCppCache, "ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf");
        var lmStudio = Path.Combine(environment.LmStudioModels[0], "lmstudio-community", "gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        foreach (var path in new[] { llama, lmStudio })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, TestModels.Tiny);
        }
        var (code, output, err) = CliRunner.RunWith(environment, null, "list");
        Assert.True(code == 0, err);
        var lines = output.Replace("\r\n", "\n").Split('\n');
        Assert.Matches($@"^\* lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4\.gguf +gpt-oss +MXFP4 MoE +40\.42 MB +LM Studio +{Regex.Escape(lmStudio)}$", lines[1]);
        Assert.Matches($@"^  ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4\.gguf +gpt-oss +MXFP4 MoE +40\.42 MB +llama\.cpp cache +{Regex.Escape(llama)}$", lines[2]);
        Assert.StartsWith("* is what chat, run and serve use without -m", lines[3]);
        Assert.Contains($"  {environment.TesseraModels} (absent)", lines);
        Assert.Contains($"  {environment.LmStudioModels[0]}", lines);

        var empty = CliRunner.RunWith(Home(), null, "list");
        Assert.StartsWith("no GGUF models found", empty.Out);
    }

    [Fact]
    public void RunWithoutModelUsesTheCopyItFinds()
    {
        var environment = Home();
        var lmStudio = Path.Combine(environment.LmStudioModels[0], "lmstudio-community", "gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(lmStudio)!);
        File.CreateSymbolicLink(lmStudio, TestModels.Tiny);
        var (code, output, err) = CliRunner.RunWith(environment, null, "run", "-p", "Hi", "-n", "1", "--seed", "1");
        Assert.True(code == 0, err);
        Assert.StartsWith($"using {lmStudio} (LM Studio)", err);
        Assert.Contains("answer", output + err);
    }

    [Fact(Timeout = 120_000)]
    public async Task RunWithoutModelDownloadsGptOss20bWhenNoneIsFound()
    {
        await using var hub = new FakeHub(HubFileReference.GptOss20b.Repository, HubFileReference.GptOss20b.File, File.ReadAllBytes(TestModels.Tiny));
        var environment = Home(hub);
        var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-p", "Hi", "-n", "1", "--seed", "1");
        Assert.True(code == 0, err);
        var path = Path.Combine(environment.TesseraModels, "ggml-org", "gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf");
        Assert.StartsWith($"gpt-oss-20b is not in {environment.TesseraModels}, ", err);
        Assert.Contains($"downloading ggml-org/gpt-oss-20b-GGUF:gpt-oss-20b-mxfp4.gguf to {path}", err);
        Assert.Equal(File.ReadAllBytes(TestModels.Tiny), File.ReadAllBytes(path));

        // Found the next time, without asking the Hub.
        var requests = hub.Requests.Count;
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-p", "Hi", "-n", "1", "--seed", "1");
        Assert.True(code == 0, err);
        Assert.StartsWith($"using {path} (Tessera)", err);
        Assert.Equal(requests, hub.Requests.Count);
    }
}
