// Options of the OpenAI-compatible server, named as llama-server's flags are (--host, --port, --api-key, --alias).

namespace Tessera.Server;

/// <summary>Where and how <see cref="TesseraServer"/> listens. <see cref="Validate"/> refuses values that cannot work.</summary>
public sealed record TesseraServerOptions
{
    /// <summary>Address to listen on: an IP address, or <c>localhost</c>. Default 127.0.0.1 (this machine only).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="TesseraServer.BaseAddress"/>). Default 8080.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every endpoint but <c>/health</c> needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Requests that may wait while the model works on another; one more gets 429. Default 16.</summary>
    public int QueueLimit { get; init; } = 16;

    /// <summary>Model id reported by <c>/v1/models</c> and in results; default the model's own name.</summary>
    public string? ModelAlias { get; init; }

    /// <summary>What requests get for the generation fields they leave out (max_tokens, temperature, ...).</summary>
    public GenerationDefaults Defaults { get; init; } = new();

    /// <summary>Where to write one line per request (method, path, status, time); null writes nothing.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("host must not be empty", nameof(Host));
        if (TryParseHost(Host) is null) throw new ArgumentException(BadHost(Host), nameof(Host));
        if (Port is < 0 or > 65535) throw new ArgumentException($"port must be between 0 and 65535 (got {Port})", nameof(Port));
        if (QueueLimit < 0) throw new ArgumentException($"queue limit must not be negative (got {QueueLimit})", nameof(QueueLimit));
        if (ApiKey is { Length: 0 }) throw new ArgumentException("the API key must not be empty; leave it unset for no key", nameof(ApiKey));
        if (ModelAlias is { Length: 0 }) throw new ArgumentException("the model alias must not be empty", nameof(ModelAlias));
        Defaults.Validate();
    }

    /// <summary>The address to listen on for <paramref name="host"/>: an IP address (brackets allowed) or localhost; else null.</summary>
    internal static System.Net.IPAddress? TryParseHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? System.Net.IPAddress.Loopback
        : System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) ? address
        : null;

    internal static string BadHost(string host) => $"host must be an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost, not \"{host}\"";
}
