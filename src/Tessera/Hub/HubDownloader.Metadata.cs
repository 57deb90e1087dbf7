// What the Hub says about a file before any byte is fetched. Facts relied on (huggingface_hub's file_download.py and
// constants.py, and the Hub's API):
// - HEAD ENDPOINT/REPO/resolve/REVISION/FILE answers an LFS file with a redirect (302) to its CDN whose headers carry
//   X-Linked-Size (bytes) and X-Linked-Etag (the LFS oid: the file's sha256, quoted); huggingface_hub reads
//   X-Linked-Etag, else ETag, stripping W/ and quotes. A relative redirect (a renamed repository) is followed.
// - GET ENDPOINT/api/models/REPO/tree/REVISION[/FOLDER] lists files as [{type, path, size, oid, lfs: {oid, size}}];
//   lfs.oid is the sha256. Used when the HEAD headers carry no sha256, and to list a repository's GGUF files.
// - Errors carry X-Error-Message; a missing or private repository answers 401, a missing file 404.

using System.Net;
using System.Text.Json;

namespace Tessera.Hub;

public sealed partial class HubDownloader
{
    private sealed record RemoteFile(Uri Url, long Size, string? Sha256, string? Sha256Source, string? ETag);

    /// <summary>The GGUF file of <paramref name="repository"/> that <paramref name="fileOrQuant"/> names: a file name
    /// ending in .gguf is taken as is; anything else (<c>Q8_0</c>, <c>mxfp4</c>) must match exactly one GGUF file's name
    /// in the repository's top folder; null needs the repository to hold one GGUF file (the first part of a split file counts once).</summary>
    /// <exception cref="HubDownloadException">The repository is not found, or the choice is not exactly one file.</exception>
    public async Task<HubFileReference> ResolveAsync(string repository, string? fileOrQuant, CancellationToken cancellationToken = default)
    {
        HubFileReference.ValidateRepository(repository);
        if (fileOrQuant is not null && fileOrQuant.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return new HubFileReference(repository, fileOrQuant);
        if (fileOrQuant is null && repository == HubFileReference.GptOss20b.Repository) return HubFileReference.GptOss20b;
        List<(string Path, string? Sha256)>? listed;
        try { listed = await ListAsync(repository, "main", "", cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (Unreachable(e, cancellationToken) is { } why) { throw new HubDownloadException(why, e) { ServerUnreachable = true }; }
        var files = (listed ?? throw new HubDownloadException($"cannot list the files of {repository} at {_environment.Endpoint}"))
            .Select(f => f.Path)
            .Where(p => p.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !ModelDiscovery.IsLaterSplitPart(p))
            .ToList();
        var matches = fileOrQuant is null ? files : files.Where(f => f.Contains(fileOrQuant, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => new HubFileReference(repository, matches[0]),
            0 when files.Count == 0 => throw new HubDownloadException($"{repository} has no GGUF file"),
            0 => throw new HubDownloadException($"no GGUF file of {repository} matches \"{fileOrQuant}\"; it has: {string.Join(", ", files)}"),
            _ => throw new HubDownloadException($"{repository} has several GGUF files{(fileOrQuant is null ? "" : $" matching \"{fileOrQuant}\"")}: {string.Join(", ", matches)}; choose one with {repository}:FILE"),
        };
    }

    private async Task<RemoteFile> GetRemoteFileAsync(HubFileReference file, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.ReadTimeout);
        var url = file.ResolveUrl(_environment.Endpoint);
        for (var hops = 0; ; hops++)
        {
            using var request = Request(HttpMethod.Head, url);
            using var response = await _metadata.SendAsync(request, idle.Token).ConfigureAwait(false);
            var redirect = (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is not null;
            if (redirect)
            {
                var next = new Uri(url, response.Headers.Location!);
                if (next.Host == url.Host && Header(response, "X-Linked-Size") is null && hops < 5)
                {
                    url = next;
                    continue;
                }
                url = next;
            }
            else if (!response.IsSuccessStatusCode)
            {
                ThrowForStatus(response, url, file.ToString());
            }
            var sizeText = Header(response, "X-Linked-Size") ?? response.Content.Headers.ContentLength?.ToString();
            if (!long.TryParse(sizeText, out var size) || size < 0)
                throw new HubDownloadException($"{url.Host} did not say how large {file.File} is (no X-Linked-Size or Content-Length)");
            var etag = Unquote(Header(response, "X-Linked-Etag") ?? Header(response, "ETag"));
            if (IsSha256(etag)) return new RemoteFile(url, size, etag!.ToLowerInvariant(), "the X-Linked-Etag header", etag);
            var listed = await TreeSha256Async(file, cancellationToken).ConfigureAwait(false);
            return new RemoteFile(url, size, listed, listed is null ? null : "the Hub's file list (lfs.oid)", etag);
        }
    }

    // lfs.oid of the file in the tree API's listing of its folder, or null when the listing is not available.
    private async Task<string?> TreeSha256Async(HubFileReference file, CancellationToken cancellationToken)
    {
        var slash = file.File.LastIndexOf('/');
        var folder = slash < 0 ? "" : file.File[..slash];
        var entries = await ListAsync(file.Repository, file.Revision, folder, cancellationToken).ConfigureAwait(false);
        return entries?.FirstOrDefault(e => e.Path == file.File).Sha256 is { } sha && IsSha256(sha) ? sha.ToLowerInvariant() : null;
    }

    // The tree API's entries of one folder, or null when it cannot be read (another endpoint may not have it).
    private async Task<List<(string Path, string? Sha256)>?> ListAsync(string repository, string revision, string folder, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.ReadTimeout);
        var url = new Uri(_environment.Endpoint, $"api/models/{repository}/tree/{Uri.EscapeDataString(revision)}{(folder.Length > 0 ? "/" + folder : "")}");
        using var request = Request(HttpMethod.Get, url);
        using var response = await _metadata.SendAsync(request, idle.Token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) ThrowForStatus(response, url, repository);
        if (!response.IsSuccessStatusCode) return null;
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(idle.Token).ConfigureAwait(false));
            if (json.RootElement.ValueKind != JsonValueKind.Array) return null;
            return [.. json.RootElement.EnumerateArray()
                .Where(e => e.TryGetProperty("type", out var t) && t.GetString() == "file" && e.TryGetProperty("path", out _))
                .Select(e => (e.GetProperty("path").GetString()!,
                    e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object && lfs.TryGetProperty("oid", out var oid) ? oid.GetString() : null))];
        }
        catch (JsonException) { return null; }
    }

    // The token goes to the endpoint only, never to the CDN a redirect points at.
    private HttpRequestMessage Request(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        if (_environment.Token is { } token && url.Host == _environment.Endpoint.Host)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static void ThrowForStatus(HttpResponseMessage response, Uri url, string? what = null)
    {
        var code = (int)response.StatusCode;
        var detail = Header(response, "X-Error-Message") is { } m ? $": {m}" : "";
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new HubDownloadException($"{what ?? url.ToString()} was not found (HTTP 404 from {url}{detail})"),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubDownloadException(
                $"{url.Host} refused {what ?? url.ToString()} (HTTP {code}{detail}): the repository does not exist, or it is gated or private and needs HF_TOKEN"),
            HttpStatusCode.TooManyRequests => new HubDownloadException($"{url.Host} answered HTTP 429 (too many requests){detail}", transient: true),
            _ when code >= 500 => new HubDownloadException($"{url.Host} answered HTTP {code}{detail}", transient: true),
            _ => new HubDownloadException($"{url} answered HTTP {code} {response.ReasonPhrase}{detail}"),
        };
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    private static string? Unquote(string? etag) => etag is null ? null : (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');

    private static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);
}
