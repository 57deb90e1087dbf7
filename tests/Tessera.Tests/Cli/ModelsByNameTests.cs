// Models by name: `list` shows the name -m takes, the architecture and the quantisation of every model it finds, Ollama's
// store included (a manifest in Ollama's format naming a GGUF blob by its sha256, under OLLAMA_MODELS or ~/.ollama/models);
// `-m` takes those names (OWNER/REPO:FILE, OWNER/REPO:QUANT, MODEL[:TAG]) as well as paths, and llama.cpp's
// `-hf OWNER/REPO[:QUANT]` (with `-hff FILE`) uses this machine's copy or downloads one (FakeHub on loopback). Each test
// has its own home.

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Tessera.Hub;
using Tessera.Tests.Hub;

namespace Tessera.Tests.Cli;

public class ModelsByNameTests
{
    private static readonly Lazy<string> TinyDigest = new(() => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestModels.Tiny))));

    private static HubEnvironment Home(string home, Dictionary<string, string>? variables = null) => new(home, variables ?? []);

    // An Ollama store as `ollama pull` leaves it: blobs/sha256-HEX (the GGUF, here the tiny model) and a manifest at
    // manifests/registry.ollama.ai/library/MODEL/TAG whose model layer names that blob.
    private static string OllamaStore(string root, string model, string tag)
    {
        var blob = Path.Combine(root, "blobs", "sha256-" + TinyDigest.Value);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        if (!File.Exists(blob)) File.CreateSymbolicLink(blob, TestModels.Tiny);
        var template = Path.Combine(root, "blobs", "sha256-" + new string('7', 64));
        File.WriteAllText(template, "{{ .Prompt }}");
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.docker.container.image.v1+json", ["digest"] = "sha256:" + new string('c', 64), ["size"] = 489 },
            ["layers"] = new JsonArray
            {
                new JsonObject { ["mediaType"] = "application/vnd.ollama.image.template", ["digest"] = "sha256:" + new string('7', 64), ["size"] = 13 },
                new JsonObject { ["mediaType"] = "application/vnd.ollama.image.model", ["digest"] = "sha256:" + TinyDigest.Value, ["size"] = new FileInfo(TestModels.Tiny).Length },
            },
        };
        var path = Path.Combine(root, "manifests", "registry.ollama.ai", "library", model, tag);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, manifest.ToJsonString());
        return blob;
    }

    // A fresh home whose Hub is a closed port: any request would fail the run.
    private static HubEnvironment OfflineHome()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return Home(TestModels.TempPath("home"), new() { ["HF_ENDPOINT"] = $"http://127.0.0.1:{port}" });
    }

    private static string LmStudioCopy(HubEnvironment environment, string repository, string file)
    {
        var path = Path.Combine([environment.LmStudioModels[0], .. repository.Split('/'), file]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, TestModels.Tiny);
        return path;
    }

    [Fact]
    public void ListShowsNameArchitectureAndQuantisationOfEveryModelOllamasIncluded()
    {
        var home = TestModels.TempPath("home");
        var ollama = TestModels.TempPath("ollama");
        var environment = Home(home, new() { ["OLLAMA_MODELS"] = ollama });
        var lmStudio = LmStudioCopy(environment, "lmstudio-community/gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        var blob = OllamaStore(ollama, "gpt-oss-tiny", "latest");
        File.WriteAllText(Path.Combine(ollama, "manifests", "registry.ollama.ai", "library", "gpt-oss-tiny", "broken"), "{ not json");

        var (code, output, err) = CliRunner.RunWith(environment, null, "list");
        Assert.True(code == 0, err);
        var lines = output.Replace("\r\n", "\n").Split('\n');
        Assert.Matches(@"^  NAME +ARCHITECTURE +QUANTISATION +SIZE +SOURCE +PATH$", lines[0]);
        Assert.Matches($@"^\* lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4\.gguf +gpt-oss +MXFP4 MoE +40\.42 MB +LM Studio +{Regex(lmStudio)}$", lines[1]);
        Assert.Matches($@"^  gpt-oss-tiny:latest +gpt-oss +MXFP4 MoE +40\.42 MB +Ollama +{Regex(blob)}$", lines[2]);
        Assert.StartsWith("* is what chat, run and serve use without -m", lines[3]);
        Assert.Contains($"  {ollama}", lines);

        // Without OLLAMA_MODELS the store is ~/.ollama/models.
        var other = TestModels.TempPath("home");
        OllamaStore(Path.Combine(other, ".ollama", "models"), "gpt-oss", "20b");
        (code, output, _) = CliRunner.RunWith(Home(other), null, "list");
        Assert.Equal(0, code);
        Assert.Contains("* gpt-oss:20b ", output);   // Ollama's gpt-oss:20b is gpt-oss-20b when nothing else is
    }

    [Fact]
    public void RunTakesANameThatListShows()
    {
        var home = TestModels.TempPath("home");
        var ollama = TestModels.TempPath("ollama");
        var environment = Home(home, new() { ["OLLAMA_MODELS"] = ollama });
        var lmStudio = LmStudioCopy(environment, "lmstudio-community/gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        var blob = OllamaStore(ollama, "gpt-oss-tiny", "latest");

        foreach (var (name, path, said) in new[]
        {
            ("gpt-oss-tiny", blob, "gpt-oss-tiny:latest, Ollama"),
            ("gpt-oss-tiny:latest", blob, "gpt-oss-tiny:latest, Ollama"),
            ("lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4.gguf", lmStudio, "lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4.gguf, LM Studio"),
            ("lmstudio-community/gpt-oss-20b-GGUF:mxfp4", lmStudio, "lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4.gguf, LM Studio"),
            ("lmstudio-community/gpt-oss-20b-GGUF", lmStudio, "lmstudio-community/gpt-oss-20b-GGUF:gpt-oss-20b-MXFP4.gguf, LM Studio"),
        })
        {
            var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-m", name, "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
            Assert.True(code == 0, $"{name}: {err}");
            Assert.StartsWith($"using {path} ({said})", err);
        }
    }

    [Fact]
    public void ANameThatFitsNothingOrSeveralIsRefusedInWords()
    {
        var environment = Home(TestModels.TempPath("home"));
        LmStudioCopy(environment, "test-org/tiny-GGUF", "tiny-Q8_0.gguf");
        LmStudioCopy(environment, "test-org/tiny-GGUF", "tiny-MXFP4.gguf");

        var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-m", "test-org/tiny-GGUF", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.Equal("error: \"test-org/tiny-GGUF\" names 2 models: test-org/tiny-GGUF:tiny-MXFP4.gguf, test-org/tiny-GGUF:tiny-Q8_0.gguf; give one of these names, or a path", err.Trim());

        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-m", "llama3:8b", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.StartsWith("error: no file and no model named \"llama3:8b\" on this machine: tessera list shows the names -m takes", err);

        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-m", "missing.gguf", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.StartsWith("error: file not found: missing.gguf", err);
    }

    [Fact(Timeout = 60_000)]
    public void HfUsesTheCopyOnThisMachineWithoutTheNetwork()
    {
        var environment = OfflineHome();
        var lmStudio = LmStudioCopy(environment, "lmstudio-community/gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        foreach (var hf in new[] { "lmstudio-community/gpt-oss-20b-GGUF:MXFP4", "lmstudio-community/gpt-oss-20b-GGUF" })
        {
            var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", hf, "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
            Assert.True(code == 0, err);
            Assert.StartsWith($"using {lmStudio} (", err);
        }
    }

    [Fact(Timeout = 60_000)]
    public void HfUsesACopyInLlamaCppsCache()
    {
        // llama-cli -hf keeps OWNER/REPO's FILE as OWNER_REPO_FILE in its cache; -hf finds it there without the network.
        var environment = OfflineHome();
        Directory.CreateDirectory(environment.LlamaCppCache);
        var llama = Path.Combine(environment.LlamaCppCache, "ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf");
        File.CreateSymbolicLink(llama, TestModels.Tiny);
        foreach (var hf in new[] { "ggml-org/gpt-oss-20b-GGUF", "ggml-org/gpt-oss-20b-GGUF:MXFP4", "GGML-ORG/gpt-oss-20b-gguf:gpt-oss-20b-mxfp4.gguf" })
        {
            var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", hf, "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
            Assert.True(code == 0, err);
            Assert.StartsWith($"using {llama} (ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf, llama.cpp cache)", err);
        }
        // Another repository whose name begins the same is not that one; a quantisation the cache lacks is not there.
        foreach (var hf in new[] { "ggml-org/gpt-oss", "ggml-org/gpt-oss-20b-GGUF:Q8_0" })
        {
            var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", hf, "-p", "Hi", "-n", "1");
            Assert.Equal(1, code);
            Assert.DoesNotContain("using ", err);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task HfDownloadsTheQuantisationAskedForThenUsesIt()
    {
        var tiny = File.ReadAllBytes(TestModels.Tiny);
        await using var hub = new FakeHub("test-org/tiny-GGUF", "tiny-MXFP4.gguf", tiny);
        hub.Add("tiny-Q8_0.gguf", [.. "GGUF"u8, 0, 0, 0, 0]);
        var environment = Home(TestModels.TempPath("home"), new() { ["HF_ENDPOINT"] = hub.Endpoint });
        var (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", "test-org/tiny-GGUF:mxfp4", "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
        Assert.True(code == 0, err);
        var path = Path.Combine(environment.TesseraModels, "test-org", "tiny-GGUF", "tiny-MXFP4.gguf");
        Assert.StartsWith($"downloading test-org/tiny-GGUF:tiny-MXFP4.gguf to {path}", err);
        Assert.Equal(tiny, File.ReadAllBytes(path));

        var requests = hub.Requests.Count;
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", "test-org/tiny-GGUF:MXFP4", "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.StartsWith($"using {path} (test-org/tiny-GGUF:tiny-MXFP4.gguf, Tessera)", err);
        Assert.Equal(requests, hub.Requests.Count);

        // llama.cpp's -hff names the file and overrides the quantisation after the colon.
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", "test-org/tiny-GGUF:Q8_0", "-hff", "tiny-MXFP4.gguf", "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.StartsWith($"using {path} (", err);
        Assert.Equal(requests, hub.Requests.Count);
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hff", "tiny-MXFP4.gguf", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.Equal("error: -hff names a file of the -hf repository: give -hf OWNER/REPO too", err.Trim());

        // The downloaded file goes by its name too, and -hf is never read as -h.
        (code, var output, err) = CliRunner.RunWith(environment, null, "tokenize", "-m", "test-org/tiny-GGUF:mxfp4", "Hello");
        Assert.True(code == 0, err);
        Assert.EndsWith("tokens", output.Trim());
        (code, output, err) = CliRunner.RunWith(environment, null, "run", "-hf");
        Assert.Equal(1, code);
        Assert.DoesNotContain("Usage:", output + err);
        Assert.StartsWith("error: -hf needs a value", err);
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-hf", "not a repo", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.StartsWith("error: \"not a repo\" is not a Hugging Face repository (OWNER/NAME", err);
        (code, _, err) = CliRunner.RunWith(environment, null, "run", "-m", TestModels.Tiny, "-hf", "test-org/tiny-GGUF", "-p", "Hi");
        Assert.Equal(1, code);
        Assert.Equal("error: give -m or -hf, not both", err.Trim());
    }

    private static string Regex(string path) => System.Text.RegularExpressions.Regex.Escape(path);
}
