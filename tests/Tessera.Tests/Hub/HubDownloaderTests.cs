// HubDownloader against FakeHub on loopback: a clean download checked by sha256, resume after a dropped connection
// (within one call and across calls, with the Range asked for), a server without Range support, a wrong size, a wrong
// checksum, 404, too little free space, a partial of another version, the tree API as the checksum source.

using Tessera.Hub;

namespace Tessera.Tests.Hub;

public class HubDownloaderTests
{
    private const string Repo = "test-org/tiny-GGUF";
    private const string File = "tiny-mxfp4.gguf";
    private static readonly HubFileReference Reference = new(Repo, File);
    private static readonly byte[] Content = MakeContent(3_000_000);

    private static byte[] MakeContent(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        "GGUF"u8.CopyTo(bytes);
        return bytes;
    }

    private static (HubEnvironment Environment, string Home) Environment(FakeHub hub, Dictionary<string, string>? more = null)
    {
        var home = TestModels.TempPath("home");
        var variables = new Dictionary<string, string> { ["TESSERA_HF_ENDPOINT"] = hub.Endpoint };
        foreach (var (k, v) in more ?? []) variables[k] = v;
        return (new HubEnvironment(home, variables), home);
    }

    private static HubDownloadOptions Options(List<string>? log = null, int attempts = 3) => new()
    {
        MaxAttempts = attempts,
        RetryDelay = TimeSpan.Zero,
        ReadTimeout = TimeSpan.FromSeconds(10),
        Log = log is null ? null : log.Add,
    };

    [Fact(Timeout = 30_000)]
    public async Task DownloadsIntoTesseraFolderAndVerifiesTheSha256()
    {
        await using var hub = new FakeHub(Repo, File, Content);
        var (environment, home) = Environment(hub, new() { ["HF_TOKEN"] = "hf_secret" });
        using var downloader = new HubDownloader(environment, Options());
        var result = await downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Path.Combine(home, ".cache", "tessera", "models", "test-org", "tiny-GGUF", File), result.Path);
        Assert.Equal(Content, await System.IO.File.ReadAllBytesAsync(result.Path, TestContext.Current.CancellationToken));
        Assert.Equal(FakeHub.Sha256(Content), result.VerifiedSha256);
        Assert.False(result.AlreadyPresent);
        Assert.Equal(0, result.ResumedFrom);
        Assert.False(System.IO.File.Exists(result.Path + ".partial"));
        Assert.False(System.IO.File.Exists(result.Path + ".partial.id"));
        Assert.Equal([null], hub.BodyRanges);
        Assert.Contains(hub.Requests, r => r.Method == "HEAD" && r.Authorization == "Bearer hf_secret");

        // A second call finds the file and asks the server nothing.
        var before = hub.Requests.Count;
        var again = await downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(again.AlreadyPresent);
        Assert.Equal(before, hub.Requests.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task DroppedConnectionsResumeWithRangeInOneCall()
    {
        await using var hub = new FakeHub(Repo, File, Content) { DropsLeft = 2, DropAfter = 1_000_000 };
        var (environment, _) = Environment(hub);
        var log = new List<string>();
        using var downloader = new HubDownloader(environment, Options(log));
        var progress = new List<DownloadProgress>();
        var result = await downloader.DownloadAsync(Reference, new Collect(progress), TestContext.Current.CancellationToken);

        Assert.Equal(Content, System.IO.File.ReadAllBytes(result.Path));
        Assert.Equal(FakeHub.Sha256(Content), result.VerifiedSha256);
        Assert.Equal([null, "bytes=1000000-", "bytes=2000000-"], hub.BodyRanges);
        Assert.Equal(2, log.Count(l => l.Contains("retrying")));
        // This process saw every byte arrive, so nothing was read back to hash.
        Assert.DoesNotContain(progress, p => p.Stage == DownloadStage.Hashing);
        Assert.Equal(Content.Length, progress[^1].Done);
    }

    [Fact(Timeout = 30_000)]
    public async Task AServerThatCannotBeReachedFailsAtOnceWithoutRetries()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();   // nothing listens there now: the connection is refused
        foreach (var endpoint in new[] { $"http://127.0.0.1:{port}", "http://tessera-hub.invalid" })
        {
            var environment = new HubEnvironment(TestModels.TempPath("home"), new Dictionary<string, string> { ["HF_ENDPOINT"] = endpoint });
            var log = new List<string>();
            using var downloader = new HubDownloader(environment, Options(log, attempts: 5) with { RetryDelay = TimeSpan.FromSeconds(20) });
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{endpoint}: {watch.Elapsed}");
            Assert.True(e.ServerUnreachable, e.Message);
            Assert.StartsWith(endpoint.Contains("invalid") ? "cannot reach tessera-hub.invalid" : $"cannot connect to 127.0.0.1 port {port}", e.Message);
            Assert.Empty(log);
            Assert.False(System.IO.File.Exists(downloader.PathFor(Reference) + ".partial"));
            // The same for resolving a quantisation, which lists the repository first.
            e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.ResolveAsync(Repo, "Q8_0", TestContext.Current.CancellationToken));
            Assert.True(e.ServerUnreachable, e.Message);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task AnInterruptedDownloadKeepsItsPartialAndTheNextRunResumesIt()
    {
        await using var hub = new FakeHub(Repo, File, Content) { DropsLeft = 1, DropAfter = 1_234_567 };
        var (environment, _) = Environment(hub);
        using (var first = new HubDownloader(environment, Options(attempts: 1)))
        {
            var e = await Assert.ThrowsAsync<HubDownloadException>(() => first.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Contains("run the command again to resume", e.Message);
            var target = first.PathFor(Reference);
            Assert.False(System.IO.File.Exists(target));
            Assert.Equal(1_234_567, new FileInfo(target + ".partial").Length);
        }
        var log = new List<string>();
        var progress = new List<DownloadProgress>();
        using var second = new HubDownloader(environment, Options(log));
        var result = await second.DownloadAsync(Reference, new Collect(progress), TestContext.Current.CancellationToken);
        Assert.Equal(1_234_567, result.ResumedFrom);
        Assert.Equal([null, "bytes=1234567-"], hub.BodyRanges);
        Assert.Contains(log, l => l.StartsWith("resuming from 1,234,567", StringComparison.Ordinal));
        // The new process hashes the kept bytes before fetching the rest.
        Assert.Contains(progress, p => p.Stage == DownloadStage.Hashing && p.Done == 1_234_567);
        Assert.Equal(Content, System.IO.File.ReadAllBytes(result.Path));
        Assert.Equal(FakeHub.Sha256(Content), result.VerifiedSha256);
    }

    [Fact(Timeout = 30_000)]
    public async Task AServerWithoutRangeSupportRestartsFromZero()
    {
        await using var hub = new FakeHub(Repo, File, Content) { SupportsRange = false, DropsLeft = 1, DropAfter = 700_000 };
        var (environment, _) = Environment(hub);
        var log = new List<string>();
        using var downloader = new HubDownloader(environment, Options(log));
        var result = await downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([null, "bytes=700000-"], hub.BodyRanges);
        Assert.Contains(log, l => l.Contains("does not resume downloads"));
        Assert.Equal(Content, System.IO.File.ReadAllBytes(result.Path));
        Assert.Equal(FakeHub.Sha256(Content), result.VerifiedSha256);
    }

    [Fact(Timeout = 30_000)]
    public async Task AWrongSizeIsAClearErrorAndNothingIsKept()
    {
        await using var hub = new FakeHub(Repo, File, Content) { AnnouncedSize = Content.Length + 1000 };
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options());
        var e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"sends {Content.Length:N0} bytes but the file is {Content.Length + 1000:N0} bytes", e.Message);
        Assert.Contains("partial download was deleted", e.Message);
        AssertNothingLeft(downloader.PathFor(Reference));
        Assert.Single(hub.BodyRanges);   // not retried
    }

    [Fact(Timeout = 30_000)]
    public async Task AWrongChecksumIsAClearErrorAndNothingIsRenamedIntoPlace()
    {
        var wrong = new string('0', 64);
        await using var hub = new FakeHub(Repo, File, Content) { AnnouncedSha256 = wrong };
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options());
        var e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"checksum mismatch for {Repo}:{File}", e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains(FakeHub.Sha256(Content), e.Message);
        Assert.Contains("X-Linked-Etag", e.Message);
        AssertNothingLeft(downloader.PathFor(Reference));
    }

    [Fact(Timeout = 30_000)]
    public async Task WithoutAChecksumHeaderTheFileListGivesIt()
    {
        await using var hub = new FakeHub(Repo, File, Content) { Sha256InHeaders = false };
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options());
        var result = await downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(FakeHub.Sha256(Content), result.VerifiedSha256);
        Assert.Contains(hub.Requests, r => r.Path == $"/api/models/{Repo}/tree/main");

        // And a wrong one there is caught too.
        await using var lying = new FakeHub(Repo, File, Content) { Sha256InHeaders = false, AnnouncedSha256 = new string('1', 64) };
        using var other = new HubDownloader(Environment(lying).Environment, Options());
        var e = await Assert.ThrowsAsync<HubDownloadException>(() => other.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("file list (lfs.oid)", e.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task AMissingFileIsA404InOneLine()
    {
        await using var hub = new FakeHub(Repo, File, Content);
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options());
        var missing = new HubFileReference(Repo, "nope.gguf");
        var e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.DownloadAsync(missing, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal($"{Repo}:nope.gguf was not found (HTTP 404 from {hub.Endpoint}/{Repo}/resolve/main/nope.gguf: Entry not found)", e.Message);
        Assert.Single(hub.Requests);   // a 404 is not retried
        AssertNothingLeft(downloader.PathFor(missing));
    }

    [Fact(Timeout = 30_000)]
    public async Task TooLittleFreeSpaceStopsBeforeAnyByte()
    {
        await using var hub = new FakeHub(Repo, File, Content);
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options() with { FreeSpace = _ => 1_000_000 });
        var e = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"not enough free space in {Path.GetDirectoryName(downloader.PathFor(Reference))}: the download needs 3,000,000 more bytes, 1,000,000 are free", e.Message);
        Assert.Empty(hub.BodyRanges);
    }

    [Fact(Timeout = 30_000)]
    public async Task APartialOfAnotherVersionIsStartedAgain()
    {
        await using var hub = new FakeHub(Repo, File, Content);
        var (environment, _) = Environment(hub);
        var log = new List<string>();
        using var downloader = new HubDownloader(environment, Options(log));
        var target = downloader.PathFor(Reference);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        System.IO.File.WriteAllBytes(target + ".partial", new byte[500_000]);
        System.IO.File.WriteAllText(target + ".partial.id", new string('9', 64));
        var result = await downloader.DownloadAsync(Reference, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ResumedFrom);
        Assert.Equal([null], hub.BodyRanges);
        Assert.Contains(log, l => l.Contains("another version"));
        Assert.Equal(Content, System.IO.File.ReadAllBytes(result.Path));
    }

    [Fact(Timeout = 30_000)]
    public async Task ResolvePicksTheGgufFileByNameOrQuantisation()
    {
        await using var hub = new FakeHub(Repo, "tiny-Q8_0.gguf", Content);
        hub.ListedOnly.AddRange(["tiny-mxfp4.gguf", "README.md", "big-00001-of-00002.gguf", "big-00002-of-00002.gguf"]);
        var (environment, _) = Environment(hub);
        using var downloader = new HubDownloader(environment, Options());
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(new HubFileReference(Repo, "tiny-Q8_0.gguf"), await downloader.ResolveAsync(Repo, "q8_0", ct));
        Assert.Equal(new HubFileReference(Repo, "big-00001-of-00002.gguf"), await downloader.ResolveAsync(Repo, "big", ct));
        Assert.Equal(new HubFileReference(Repo, "other.gguf"), await downloader.ResolveAsync(Repo, "other.gguf", ct));
        var several = await Assert.ThrowsAsync<HubDownloadException>(() => downloader.ResolveAsync(Repo, null, ct));
        Assert.Equal($"{Repo} has several GGUF files: tiny-Q8_0.gguf, tiny-mxfp4.gguf, big-00001-of-00002.gguf; choose one with {Repo}:FILE", several.Message);
        Assert.Contains("matches \"q4_k\"", (await Assert.ThrowsAsync<HubDownloadException>(() => downloader.ResolveAsync(Repo, "q4_k", ct))).Message);
        Assert.Contains("was not found (HTTP 404", (await Assert.ThrowsAsync<HubDownloadException>(() => downloader.ResolveAsync("test-org/absent", null, ct))).Message);
        Assert.Throws<ArgumentException>(() => new HubFileReference("no-slash", "a.gguf"));
        Assert.Throws<ArgumentException>(() => new HubFileReference(Repo, "../escape.gguf"));
    }

    private static void AssertNothingLeft(string target)
    {
        Assert.False(System.IO.File.Exists(target));
        Assert.False(System.IO.File.Exists(target + ".partial"));
        Assert.False(System.IO.File.Exists(target + ".partial.id"));
    }

    private sealed class Collect(List<DownloadProgress> into) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => into.Add(value);
    }
}
