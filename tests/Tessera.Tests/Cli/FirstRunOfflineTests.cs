// The first command on a machine without a network: a Hub whose name does not resolve (the .invalid domain never
// does, RFC 6761) or whose port is closed fails at once, without retries, and the last line says what to do instead.
// A transfer that breaks off part-way is still retried and resumed (FakeHub on loopback drops it), and "downloading"
// is said once. Every test has its own empty home.

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tessera.Hub;
using Tessera.Tests.Hub;

namespace Tessera.Tests.Cli;

public class FirstRunOfflineTests
{
    private const string Unresolvable = "http://tessera-hub.invalid";

    private static HubEnvironment Home(string endpoint) =>
        new(TestModels.TempPath("home"), new Dictionary<string, string> { ["HF_ENDPOINT"] = endpoint });

    // A loopback port that nothing listens on: bound once to get a free number, then closed.
    private static string ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    private static void AssertFailsAtOnceWithWhatToDo(int code, string err, TimeSpan took, string reason)
    {
        Assert.Equal(1, code);
        Assert.True(took < TimeSpan.FromSeconds(10), $"took {took.TotalSeconds:F1} s");
        var lines = err.TrimEnd().Replace("\r\n", "\n").Split('\n');
        Assert.Contains(lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal));
        var last = lines[^1];
        Assert.StartsWith("what to do: ", last);
        foreach (var step in new[] { "-m FILE", "tessera pull", "HF_ENDPOINT", "tessera make-test-model" }) Assert.Contains(step, last);
        Assert.DoesNotContain("retrying", err);
        Assert.DoesNotContain("   at ", err);
        Assert.True(lines.Count(l => l.Contains("downloading", StringComparison.Ordinal)) <= 1, err);
    }

    [Fact(Timeout = 60_000)]
    public void ChatWithoutAModelOnAnOfflineMachineFailsAtOnceAndSaysWhatToDo()
    {
        var watch = Stopwatch.StartNew();
        var (code, output, err) = CliRunner.RunWith(Home(Unresolvable), "Hello\n", "chat");
        AssertFailsAtOnceWithWhatToDo(code, err, watch.Elapsed, "cannot reach tessera-hub.invalid: its name does not resolve");
        Assert.StartsWith("gpt-oss-20b is not in ", err);
        Assert.Equal("", output);
    }

    [Fact(Timeout = 60_000)]
    public void RunAgainstAClosedPortFailsAtOnceAndSaysWhatToDo()
    {
        var endpoint = ClosedPort();
        var watch = Stopwatch.StartNew();
        var (code, _, err) = CliRunner.RunWith(Home(endpoint), null, "run", "-p", "Hi");
        AssertFailsAtOnceWithWhatToDo(code, err, watch.Elapsed, $"cannot connect to 127.0.0.1 port {new Uri(endpoint).Port}");
    }

    [Fact(Timeout = 60_000)]
    public void HfOfflineFailsAtOnceAndSaysWhatToDo()
    {
        var watch = Stopwatch.StartNew();
        var (code, _, err) = CliRunner.RunWith(Home(Unresolvable), null, "run", "-hf", "ggml-org/gpt-oss-20b-GGUF:mxfp4", "-p", "Hi");
        AssertFailsAtOnceWithWhatToDo(code, err, watch.Elapsed, "cannot reach tessera-hub.invalid");
    }

    [Fact(Timeout = 60_000)]
    public void PullOfflineFailsAtOnceAndSaysWhatToDo()
    {
        var watch = Stopwatch.StartNew();
        var (code, _, err) = CliRunner.RunWith(Home(Unresolvable), null, "pull");
        Assert.Equal(1, code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        var last = err.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("what to do: check the network", last);
        Assert.Contains("HF_ENDPOINT", last);
        Assert.Contains("-m FILE", last);
        Assert.DoesNotContain("retrying", err);
    }

    [Fact(Timeout = 60_000)]
    public async Task ADroppedTransferIsRetriedAndResumedAndDownloadingIsSaidOnce()
    {
        var content = File.ReadAllBytes(TestModels.Tiny);
        await using var hub = new FakeHub(HubFileReference.GptOss20b.Repository, HubFileReference.GptOss20b.File, content)
        {
            DropsLeft = 1,
            DropAfter = content.Length / 3,
        };
        var environment = Home(hub.Endpoint);
        var (code, output, err) = CliRunner.RunWith(environment, null, "pull");
        Assert.True(code == 0, err);
        var path = Path.Combine(environment.TesseraModels, "ggml-org", "gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf");
        Assert.StartsWith($"saved {path} (", output);
        Assert.Contains("verified", output);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal([null, $"bytes={content.Length / 3}-"], hub.BodyRanges);
        var lines = err.Replace("\r\n", "\n").Split('\n');
        Assert.Single(lines, l => l.Contains("downloading", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("retrying in", StringComparison.Ordinal));
        // Redirected, the progress is a line per tenth, and the size is known.
        Assert.Contains(lines, l => l.StartsWith("downloaded 100% (", StringComparison.Ordinal) && l.EndsWith($"/{Tessera.Cli.Format.Bytes(content.Length)})", StringComparison.Ordinal));
        Assert.DoesNotContain("unknown", err);
    }

    [Fact]
    public void AnUnknownSizeIsShownAsUnknown()
    {
        Assert.Equal("1.50 MB (size unknown)", Tessera.Cli.Commands.DownloadView.Size(1_500_000, 0));
        Assert.Equal("1.50 MB/3.00 MB", Tessera.Cli.Commands.DownloadView.Size(1_500_000, 3_000_000));
    }

    // On a terminal (util-linux's script makes one): the bar with the size, the note about the dropped transfer written
    // whole through the same console, "downloading" once, and the file saved.
    [Fact(Timeout = 120_000)]
    public async Task OnATerminalTheBarAndTheNotesShareOneConsole()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script")) Assert.Skip("needs util-linux's script to make a terminal");
        var content = new byte[3_000_000];
        new Random(3).NextBytes(content);
        "GGUF"u8.CopyTo(content);
        await using var hub = new FakeHub("test-org/tiny-GGUF", "tiny-MXFP4.gguf", content) { DropsLeft = 1, DropAfter = 1_000_000 };
        var home = TestModels.TempPath("home");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var cli = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-qec", $"stty cols 200; '{dotnet}' '{cli}' pull test-org/tiny-GGUF:mxfp4", "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["HOME"] = home;
        start.Environment["HF_ENDPOINT"] = hub.Endpoint;
        foreach (var name in new[] { "TESSERA_HOME", "XDG_CACHE_HOME", "TESSERA_HF_ENDPOINT" }) start.Environment.Remove(name);
        using var child = Process.Start(start)!;
        child.StandardInput.Close();
        var output = await child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(child.ExitCode == 0, output);
        var path = Path.Combine(home, ".cache", "tessera", "models", "test-org", "tiny-GGUF", "tiny-MXFP4.gguf");
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Single(Regex.Matches(output, "downloading test-org/tiny-GGUF:tiny-MXFP4.gguf"));
        Assert.Contains("the server closed the connection before the end of the file; retrying in 2 s (attempt 2 of 5)", output);
        Assert.Contains("/3.00 MB", output);   // the bar's size column: done/total
        Assert.Contains("100%", output);
        Assert.DoesNotContain("unknown", output);
        Assert.Contains($"saved {path}", output);
    }
}
