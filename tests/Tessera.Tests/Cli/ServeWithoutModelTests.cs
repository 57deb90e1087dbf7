// `tessera serve` as a user starts it, in a child process over a home of its own: without -m it finds gpt-oss-20b as chat
// does (here the LM Studio copy, the tiny model under that name), and -n / --temp become the defaults of requests that
// leave max_tokens and temperature out. Real HTTP to the port it prints.

using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tessera.Tests.Cli;

public class ServeWithoutModelTests
{
    [Fact(Timeout = 120_000)]
    public async Task ServeFindsTheDefaultModelAndAppliesItsDefaultsToRequests()
    {
        var home = TestModels.TempPath("home");
        var lmStudio = Path.Combine(home, ".lmstudio", "models", "lmstudio-community", "gpt-oss-20b-GGUF", "gpt-oss-20b-MXFP4.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(lmStudio)!);
        File.CreateSymbolicLink(lmStudio, TestModels.Tiny);

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"));
        foreach (var a in new[] { "serve", "--port", "0", "-n", "2", "--temp", "0", "--device", "cpu", "-q" }) start.ArgumentList.Add(a);
        start.Environment["HOME"] = home;
        foreach (var name in new[] { "TESSERA_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "LLAMA_CACHE", "OLLAMA_MODELS", "HF_ENDPOINT", "TESSERA_HF_ENDPOINT" })
            start.Environment.Remove(name);
        using var child = Process.Start(start)!;
        var errors = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            string? root = null;
            while (root is null && await child.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
                if (Regex.Match(line, @"^listening on (http://\S+)") is { Success: true } m) root = m.Groups[1].Value;
            Assert.True(root is not null, "serve did not start: " + (child.HasExited ? await errors : ""));

            using var http = new HttpClient { BaseAddress = new Uri(root + "/") };
            using var response = await http.PostAsync("v1/chat/completions",
                new StringContent("""{"messages":[{"role":"user","content":"Hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal(2, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal("gpt-oss-20b-MXFP4", json.GetProperty("model").GetString());
        }
        finally
        {
            if (!child.HasExited) child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        Assert.StartsWith($"using {lmStudio} (LM Studio)", await errors);
    }
}
