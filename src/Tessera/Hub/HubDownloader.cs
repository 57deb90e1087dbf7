// Downloads one file of a Hugging Face repository into Tessera's model folder, as huggingface_hub and llama.cpp do:
// a HEAD on ENDPOINT/REPO/resolve/REVISION/FILE gives the size and the LFS sha256 (HubDownloader.Metadata.cs), the bytes
// go to FILE.partial, an interrupted attempt resumes with an HTTP Range request, and only a file whose size and
// sha256 match is renamed into place. A size or checksum mismatch deletes the partial file (resuming it would only
// repeat the error); an interruption keeps it, so the next attempt or the next run goes on from there. Retries are for
// transfers that broke off and for a busy server (5xx, 429): a server that cannot be reached at all (its name does not
// resolve, the connection is refused or times out) before it has answered once fails at once, so that offline costs no wait.

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Tessera.Hub;

/// <summary>Downloads model files from the Hugging Face Hub (or the endpoint <see cref="HubEnvironment.Endpoint"/> names)
/// with resume, retries, a free-space check and sha256 verification.</summary>
public sealed partial class HubDownloader : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly HubEnvironment _environment;
    private readonly HubDownloadOptions _options;
    private readonly HttpClient _files;     // follows redirects (the Hub sends file bodies from a CDN); HttpClient drops the token on them
    private readonly HttpClient _metadata;  // does not: the Hub puts X-Linked-Size and X-Linked-Etag on its redirect

    /// <summary>A downloader for <paramref name="environment"/>'s endpoint and model folder.</summary>
    public HubDownloader(HubEnvironment environment, HubDownloadOptions? options = null)
    {
        _environment = environment;
        _options = options ?? new HubDownloadOptions();
        _options.Validate();
        _files = CreateClient(redirects: true);
        _metadata = CreateClient(redirects: false);
    }

    private static HttpClient CreateClient(bool redirects)
    {
        // No overall timeout: a 12 GB body takes as long as it takes; ReadTimeout bounds each silence instead.
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = redirects, ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("tessera", typeof(HubDownloader).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return client;
    }

    /// <summary>Where <paramref name="file"/> is saved: <c>TESSERA_MODELS/OWNER/NAME/FILE</c>.</summary>
    public string PathFor(HubFileReference file) =>
        Path.Combine([_environment.TesseraModels, .. file.Repository.Split('/'), .. file.File.Split('/')]);

    /// <summary>Downloads <paramref name="file"/> unless it is already in Tessera's model folder; returns where it is.</summary>
    /// <exception cref="HubDownloadException">Not found, no access, not enough free space, a size or checksum mismatch,
    /// or interrupted more often than <see cref="HubDownloadOptions.MaxAttempts"/> allows (the partial file is kept).</exception>
    public async Task<HubDownloadResult> DownloadAsync(HubFileReference file, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var target = PathFor(file);
        if (File.Exists(target)) return new HubDownloadResult(target, new FileInfo(target).Length, null, AlreadyPresent: true, ResumedFrom: 0);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        var partial = target + ".partial";
        var identity = target + ".partial.id";   // which version of the remote file the partial bytes belong to
        using var hash = new RunningHash();
        long resumedFrom = -1;
        RemoteFile? remote = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                try { remote = await GetRemoteFileAsync(file, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (remote is null && Unreachable(e, cancellationToken) is { } why)
                {
                    throw new HubDownloadException(why, e) { ServerUnreachable = true };   // never answered: offline or a wrong endpoint, not worth a wait
                }
                var have = PreparePartial(partial, identity, remote);
                if (resumedFrom < 0) resumedFrom = have;
                CheckFreeSpace(folder, remote.Size - have);
                if (hash.Length != have) await hash.RestartFromAsync(partial, have, remote.Size, progress, cancellationToken).ConfigureAwait(false);
                if (have < remote.Size) await FetchAsync(remote, partial, identity, hash, progress, cancellationToken).ConfigureAwait(false);
                return Finish(file, remote, target, partial, identity, hash, resumedFrom);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && attempt < _options.MaxAttempts)
            {
                var delay = _options.RetryDelay * Math.Pow(2, attempt - 1);
                _options.Log?.Invoke($"{Describe(e)}; retrying in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {_options.MaxAttempts})");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                var kept = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                throw new HubDownloadException(
                    $"downloading {file} failed after {attempt} attempt{(attempt == 1 ? "" : "s")}: {Describe(e)}"
                    + (kept > 0 && remote is not null ? $"; {kept:N0} of {remote.Size:N0} bytes are kept in {partial}: run the command again to resume" : ""), e);
            }
        }
    }

    // Keeps the partial file only if it is of the same remote file (same sha256, else same ETag and size) and not longer.
    private long PreparePartial(string partial, string identity, RemoteFile remote)
    {
        var id = remote.Sha256 ?? $"{remote.ETag} {remote.Size}";
        if (File.Exists(partial))
        {
            var length = new FileInfo(partial).Length;
            var same = File.Exists(identity) && File.ReadAllText(identity).Trim() == id;
            if (same && length <= remote.Size)
            {
                if (length > 0) _options.Log?.Invoke($"resuming from {length:N0} of {remote.Size:N0} bytes");
                return length;
            }
            _options.Log?.Invoke(same ? "the partial download is longer than the file; starting again" : "the partial download is of another version of the file; starting again");
            File.Delete(partial);
        }
        File.WriteAllText(identity, id);
        return 0;
    }

    private void CheckFreeSpace(string folder, long needed)
    {
        var free = _options.FreeSpace?.Invoke(folder) ?? new DriveInfo(folder).AvailableFreeSpace;
        if (free < needed)
            throw new HubDownloadException($"not enough free space in {folder}: the download needs {needed:N0} more bytes, {free:N0} are free");
    }

    // One GET of the bytes after those already in the partial file; returns when the file is complete or throws.
    private async Task FetchAsync(RemoteFile remote, string partial, string identity, RunningHash hash, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.ReadTimeout);
        using var request = Request(HttpMethod.Get, remote.Url);
        var start = hash.Length;
        if (start > 0) request.Headers.Range = new RangeHeaderValue(start, null);
        using var response = await _files.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = response.Content.Headers.ContentRange;
            if (range?.From != start)
                throw new HubDownloadException($"{remote.Url.Host} answered a request for bytes {start}- with bytes {range?.From}-", transient: true);
            if (range.Length is { } total && total != remote.Size)
                throw Mismatch(partial, identity, $"{remote.Url.Host} says the file is {total:N0} bytes, not the {remote.Size:N0} its metadata says");
        }
        else if (response.StatusCode == HttpStatusCode.OK)
        {
            if (start > 0) _options.Log?.Invoke($"{remote.Url.Host} does not resume downloads (it ignored the Range request); starting again from zero");
            start = 0;
            hash.Reset();
        }
        else if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            File.Delete(partial);
            hash.Reset();
            throw new HubDownloadException($"{remote.Url.Host} refused to resume at byte {start:N0}; the partial download was deleted", transient: true);
        }
        else
        {
            ThrowForStatus(response, remote.Url);
        }
        if (response.Content.Headers.ContentLength is { } length && start + length != remote.Size)
            throw Mismatch(partial, identity, $"{remote.Url.Host} sends {start + length:N0} bytes but the file is {remote.Size:N0} bytes");

        // No FileStream buffer: what is in the file is exactly what has been hashed, even when an attempt breaks off.
        await using var output = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        output.SetLength(start);
        output.Position = start;
        await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        var done = start;
        progress?.Report(new DownloadProgress(done, remote.Size, DownloadStage.Downloading));
        while (true)
        {
            idle.CancelAfter(_options.ReadTimeout);
            var n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            if (n == 0) break;
            if (done + n > remote.Size)
                throw Mismatch(partial, identity, $"{remote.Url.Host} sent more than the {remote.Size:N0} bytes the file has");
            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            hash.Append(buffer.AsSpan(0, n));
            done += n;
            progress?.Report(new DownloadProgress(done, remote.Size, DownloadStage.Downloading));
        }
        if (done < remote.Size) throw new IOException($"the connection closed after {done:N0} of {remote.Size:N0} bytes");
    }

    private HubDownloadResult Finish(HubFileReference file, RemoteFile remote, string target, string partial, string identity, RunningHash hash, long resumedFrom)
    {
        var actual = hash.Finish();
        if (remote.Sha256 is { } expected && !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw Mismatch(partial, identity, $"checksum mismatch for {file}: {remote.Sha256Source} says sha256 {expected}, the downloaded bytes have {actual}");
        if (remote.Sha256 is null) _options.Log?.Invoke($"{remote.Url.Host} publishes no sha256 for {file.File}; only its size was checked");
        File.Move(partial, target);
        File.Delete(identity);
        return new HubDownloadResult(target, remote.Size, remote.Sha256 is null ? null : actual, AlreadyPresent: false, resumedFrom);
    }

    // Bytes that cannot be the file: resuming them would repeat the error, so they go.
    private static HubDownloadException Mismatch(string partial, string identity, string what)
    {
        File.Delete(partial);
        File.Delete(identity);
        return new HubDownloadException(what + "; the partial download was deleted", transient: false);
    }

    // Why the endpoint cannot be reached at all, in words, or null for any other failure.
    private string? Unreachable(Exception e, CancellationToken cancellationToken)
    {
        var host = _environment.Endpoint.Host;
        var port = _environment.Endpoint.Port;
        return e switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } =>
                $"cannot reach {host}: its name does not resolve (is this machine offline, or is the address wrong?)",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } h =>
                $"cannot connect to {host} port {port}: {Inner(h)}",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } h =>
                $"cannot open a secure connection to {host}: {Inner(h)}",
            OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                $"{host} did not answer within {_options.ReadTimeout.TotalSeconds:0} s",
            _ => null,
        };

        static string Inner(Exception h) => (h.InnerException?.Message ?? h.Message).TrimEnd('.');
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        HubDownloadException h => h.IsTransient,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,   // our ReadTimeout, not the caller
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private string Describe(Exception e) => e switch
    {
        OperationCanceledException => $"no answer for {_options.ReadTimeout.TotalSeconds:0} s",
        HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } => "the server closed the connection before the end of the file",
        HttpRequestException { InnerException: { } inner } h when !h.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };

    public void Dispose()
    {
        _files.Dispose();
        _metadata.Dispose();
    }

    // sha256 of the bytes so far; restarted from the partial file when this process did not see them arrive.
    private sealed class RunningHash : IDisposable
    {
        private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            _hash.AppendData(bytes);
            Length += bytes.Length;
        }

        public void Reset()
        {
            _hash.Dispose();
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Length = 0;
        }

        public async Task RestartFromAsync(string path, long length, long total, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
        {
            Reset();
            if (length == 0) return;
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var buffer = new byte[BufferSize];
            while (Length < length)
            {
                var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - Length)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new IOException($"{path} became shorter while it was being read");
                Append(buffer.AsSpan(0, n));
                progress?.Report(new DownloadProgress(Length, total, DownloadStage.Hashing));
            }
        }

        public string Finish() => Convert.ToHexStringLower(_hash.GetCurrentHash());

        public void Dispose() => _hash.Dispose();
    }
}
