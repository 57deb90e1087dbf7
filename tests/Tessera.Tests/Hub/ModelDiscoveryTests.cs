// ModelDiscovery over fake folders of Tessera, LM Studio, the Hugging Face cache and llama.cpp under a temporary home:
// the priority order, each tool's layout (the HF snapshot is a link to a blob, as huggingface_hub makes it), the
// environment variables that move each folder, and the files it must not pick.

using Tessera.Hub;

namespace Tessera.Tests.Hub;

public class ModelDiscoveryTests
{
    private static string Gguf(string path, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
        "GGUF"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // The four tools' copies of gpt-oss-20b under one home, each a different size so they can be told apart.
    private static (HubEnvironment Environment, string Tessera, string LmStudio, string HuggingFace, string LlamaCpp) FourCopies()
    {
        var home = TestModels.TempPath("home");
        var tessera = Gguf(Path.Combine(home, ".cache/tessera/models/ggml-org/gpt-oss-20b-GGUF/gpt-oss-20b-mxfp4.gguf"), 100);
        var lmStudio = Gguf(Path.Combine(home, ".lmstudio/models/lmstudio-community/gpt-oss-20b-GGUF/gpt-oss-20b-MXFP4.gguf"), 200);
        var repo = Path.Combine(home, ".cache/huggingface/hub/models--ggml-org--gpt-oss-20b-GGUF");
        var blob = Gguf(Path.Combine(repo, "blobs", new string('f', 64)), 300);
        var commit = new string('c', 40);
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", commit));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), commit);
        var huggingFace = Path.Combine(repo, "snapshots", commit, "gpt-oss-20b-mxfp4.gguf");
        File.CreateSymbolicLink(huggingFace, Path.Combine("..", "..", "blobs", Path.GetFileName(blob)));
        var llamaCpp = Gguf(Path.Combine(home, ".cache/llama.cpp/ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf"), 400);
        return (new HubEnvironment(home), tessera, lmStudio, huggingFace, llamaCpp);
    }

    [Fact]
    public void FindsEveryToolsCopyInPriorityOrder()
    {
        var (environment, tessera, lmStudio, huggingFace, llamaCpp) = FourCopies();
        var all = ModelDiscovery.FindAll(environment);
        Assert.Equal([tessera, lmStudio, huggingFace, llamaCpp], all.Select(m => m.Path));
        Assert.Equal([ModelSource.Tessera, ModelSource.LmStudio, ModelSource.HuggingFace, ModelSource.LlamaCpp], all.Select(m => m.Source));
        Assert.Equal([100L, 200, 300, 400], all.Select(m => m.Size));   // the HF link counts as its blob

        // Each one is chosen once those before it are gone.
        foreach (var (path, source) in new[] { (tessera, ModelSource.Tessera), (lmStudio, ModelSource.LmStudio), (huggingFace, ModelSource.HuggingFace), (llamaCpp, ModelSource.LlamaCpp) })
        {
            var chosen = ModelDiscovery.FindGptOss20b(environment);
            Assert.Equal((path, source), (chosen?.Path, chosen?.Source));
            File.Delete(path);
        }
        Assert.Null(ModelDiscovery.FindGptOss20b(environment));
    }

    [Fact]
    public void SkipsWhatIsNotAUsableGptOss20bFile()
    {
        var home = TestModels.TempPath("home");
        var models = Path.Combine(home, ".lmstudio/models");
        Gguf(Path.Combine(models, "a/gpt-oss-120b-GGUF/gpt-oss-120b-MXFP4.gguf"), 10);                    // another model
        Gguf(Path.Combine(models, "a/gpt-oss-20b-GGUF/gpt-oss-20b-00002-of-00002.gguf"), 10);             // a later split part
        File.WriteAllText(Path.Combine(models, "a/gpt-oss-20b-GGUF/gpt-oss-20b-F16.gguf"), "<html>");     // not GGUF
        Gguf(Path.Combine(models, "a/gpt-oss-20b-GGUF/gpt-oss-20b-mxfp4.gguf.partial"), 10);             // unfinished
        var q4 = Gguf(Path.Combine(models, "a/gpt-oss-20b-GGUF/gpt-oss-20b-Q4_K_M.gguf"), 10);
        var environment = new HubEnvironment(home);
        Assert.Equal(q4, ModelDiscovery.FindGptOss20b(environment)?.Path);
        // In the same source an MXFP4 file comes first, whatever the names sort as.
        var mxfp4 = Gguf(Path.Combine(models, "z/gpt-oss-20b-GGUF/gpt-oss-20b-MXFP4.gguf"), 10);
        Assert.Equal(mxfp4, ModelDiscovery.FindGptOss20b(environment)?.Path);
        // list shows every GGUF file, the 120b and the split part included; the HTML page and the .partial are not GGUF files.
        Assert.Equal(["gpt-oss-120b-MXFP4.gguf", "gpt-oss-20b-00002-of-00002.gguf", "gpt-oss-20b-Q4_K_M.gguf", "gpt-oss-20b-MXFP4.gguf"],
            ModelDiscovery.FindAll(environment).Select(m => Path.GetFileName(m.Path)));
    }

    [Fact]
    public void EnvironmentVariablesMoveEachFolder()
    {
        var home = "/home/someone";
        var plain = new HubEnvironment(home);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("/home/someone/.cache/tessera/models", plain.TesseraModels);
            Assert.Equal("/home/someone/.cache/huggingface/hub", plain.HuggingFaceHubCache);
            Assert.Equal("/home/someone/.cache/llama.cpp", plain.LlamaCppCache);
        }
        Assert.Equal(["/home/someone/.lmstudio/models", "/home/someone/.cache/lm-studio/models"], plain.LmStudioModels.Select(p => p.Replace('\\', '/')));
        Assert.Equal(new Uri("https://huggingface.co/"), plain.Endpoint);
        Assert.Null(plain.Token);

        var moved = new HubEnvironment(home, new Dictionary<string, string>
        {
            ["TESSERA_HOME"] = "/t", ["HF_HOME"] = "/hf", ["LLAMA_CACHE"] = "/l", ["HF_ENDPOINT"] = "https://mirror.example/",
            ["TESSERA_HF_ENDPOINT"] = "http://127.0.0.1:9", ["HF_TOKEN"] = "hf_x",
        });
        Assert.Equal(Path.Combine("/t", "models"), moved.TesseraModels);
        Assert.Equal(Path.Combine("/hf", "hub"), moved.HuggingFaceHubCache);
        Assert.Equal("/l", moved.LlamaCppCache);
        Assert.Equal(new Uri("http://127.0.0.1:9/"), moved.Endpoint);   // TESSERA_HF_ENDPOINT wins over HF_ENDPOINT
        Assert.Equal("hf_x", moved.Token);
        Assert.Equal(new Uri("https://mirror.example/"), new HubEnvironment(home, new Dictionary<string, string> { ["HF_ENDPOINT"] = "https://mirror.example" }).Endpoint);
        Assert.Equal("/c", new HubEnvironment(home, new Dictionary<string, string> { ["HF_HOME"] = "/hf", ["HF_HUB_CACHE"] = "/c" }).HuggingFaceHubCache);
        if (OperatingSystem.IsLinux())
            Assert.Equal("/x/tessera/models", new HubEnvironment(home, new Dictionary<string, string> { ["XDG_CACHE_HOME"] = "/x" }).TesseraModels);
        Assert.Throws<ArgumentException>(() => new HubEnvironment(home, new Dictionary<string, string> { ["HF_ENDPOINT"] = "ftp://nope" }).Endpoint);
    }
}
