// A stand-in for the Hugging Face Hub on 127.0.0.1 (a free port), speaking just enough HTTP/1.1 for HubDownloader:
// HEAD/GET on /REPO/resolve/main/FILE answer 302 to /cdn/FILE with X-Linked-Size and X-Linked-Etag as the Hub does,
// /cdn/FILE serves the bytes (with or without Range support, optionally dropping the connection part-way),
// /api/models/REPO/tree/main lists files with lfs.oid, anything else is 404. Every request is recorded.

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Tessera.Tests.Hub;

internal sealed class FakeHub : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public FakeHub(string repository, string file, byte[] content)
    {
        Repository = repository;
        _files[file] = content;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Repository { get; }

    /// <summary>Base address to give as TESSERA_HF_ENDPOINT.</summary>
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Honour Range requests with 206 (else always 200 and the whole file).</summary>
    public bool SupportsRange { get; set; } = true;

    /// <summary>How many GETs of a file body stop after <see cref="DropAfter"/> bytes (the connection is closed).</summary>
    public int DropsLeft { get; set; }
    public long DropAfter { get; set; }

    /// <summary>Size to announce in X-Linked-Size instead of the true one.</summary>
    public long? AnnouncedSize { get; set; }

    /// <summary>sha256 to announce (headers and file list) instead of the true one.</summary>
    public string? AnnouncedSha256 { get; set; }

    /// <summary>Put the sha256 in X-Linked-Etag (else only the file list has it, and ETag holds a git-style id).</summary>
    public bool Sha256InHeaders { get; set; } = true;

    /// <summary>Files listed by the tree API besides the served ones (name only, no body).</summary>
    public List<string> ListedOnly { get; } = [];

    public ConcurrentQueue<(string Method, string Path, string? Range, string? Authorization)> Requests { get; } = new();

    public void Add(string file, byte[] content) => _files[file] = content;

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public IEnumerable<string?> BodyRanges => Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Select(r => r.Range);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null) return;
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var (method, path) = (parts[0], Uri.UnescapeDataString(parts[1]));
                var headers = lines.Skip(1).Where(l => l.Contains(':')).ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
                Requests.Enqueue((method, path, headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("Authorization")));
                await RespondAsync(stream, method, path, headers.GetValueOrDefault("Range"));
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        }
    }

    private async Task RespondAsync(NetworkStream stream, string method, string path, string? range)
    {
        var resolve = $"/{Repository}/resolve/main/";
        if (path.StartsWith(resolve, StringComparison.Ordinal) && _files.TryGetValue(path[resolve.Length..], out var content))
        {
            var sha = AnnouncedSha256 ?? Sha256(content);
            var headers = new Dictionary<string, string>
            {
                ["Location"] = "/cdn/" + path[resolve.Length..],
                ["X-Linked-Size"] = (AnnouncedSize ?? content.Length).ToString(),
                ["X-Repo-Commit"] = new string('c', 40),
            };
            if (Sha256InHeaders) headers["X-Linked-Etag"] = $"\"{sha}\"";
            else headers["ETag"] = $"\"{new string('a', 40)}\"";
            await WriteHeadAsync(stream, "302 Found", headers, 0);
            return;
        }
        if (path.StartsWith("/cdn/", StringComparison.Ordinal) && _files.TryGetValue(path[5..], out content))
        {
            long start = 0;
            var status = "200 OK";
            var headers = new Dictionary<string, string> { ["Accept-Ranges"] = SupportsRange ? "bytes" : "none" };
            if (range is not null && SupportsRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            {
                start = long.Parse(range[6..^1]);
                if (start >= content.Length)
                {
                    await WriteHeadAsync(stream, "416 Range Not Satisfiable", new() { ["Content-Range"] = $"bytes */{content.Length}" }, 0);
                    return;
                }
                status = "206 Partial Content";
                headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
            }
            await WriteHeadAsync(stream, status, headers, content.Length - start);
            if (method != "GET") return;
            var end = content.Length;
            if (DropsLeft > 0)
            {
                DropsLeft--;
                end = (int)Math.Min(end, start + DropAfter);
            }
            await stream.WriteAsync(content.AsMemory((int)start, end - (int)start));
            return;
        }
        if (path == $"/api/models/{Repository}/tree/main")
        {
            var list = new JsonArray();
            foreach (var (name, bytes) in _files)
                list.Add(new JsonObject
                {
                    ["type"] = "file", ["oid"] = new string('b', 40), ["size"] = bytes.Length, ["path"] = name,
                    ["lfs"] = new JsonObject { ["oid"] = AnnouncedSha256 ?? Sha256(bytes), ["size"] = bytes.Length, ["pointerSize"] = 134 },
                });
            foreach (var name in ListedOnly)
                list.Add(new JsonObject { ["type"] = "file", ["oid"] = new string('d', 40), ["size"] = 10, ["path"] = name });
            list.Add(new JsonObject { ["type"] = "directory", ["oid"] = new string('e', 40), ["size"] = 0, ["path"] = "sub" });
            var body = Encoding.UTF8.GetBytes(list.ToJsonString());
            await WriteHeadAsync(stream, "200 OK", new() { ["Content-Type"] = "application/json" }, body.Length);
            if (method == "GET") await stream.WriteAsync(body);
            return;
        }
        await WriteHeadAsync(stream, "404 Not Found", new() { ["X-Error-Code"] = "EntryNotFound", ["X-Error-Message"] = "Entry not found" }, 0);
    }

    private static async Task WriteHeadAsync(NetworkStream stream, string status, Dictionary<string, string> headers, long length)
    {
        var text = new StringBuilder($"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {length}\r\n");
        foreach (var (k, v) in headers) text.Append($"{k}: {v}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString()));
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r')
                return Encoding.ASCII.GetString([.. bytes]);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
