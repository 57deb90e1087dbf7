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

    /// <summary>Most tokens a chat reply may spend in the analysis channel before its answer is forced to begin, for
    /// requests that do not send <c>max_reasoning_tokens</c>; null (default) leaves it to the model.</summary>
    public int? MaxReasoningTokens { get; init; }

    /// <summary>Where to write one line per request (method, path, status, time); null writes nothing.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("host must not be empty", nameof(Host));
        if (Port is < 0 or > 65535) throw new ArgumentException($"port must be between 0 and 65535 (got {Port})", nameof(Port));
        if (QueueLimit < 0) throw new ArgumentException($"queue limit must not be negative (got {QueueLimit})", nameof(QueueLimit));
        if (ApiKey is { Length: 0 }) throw new ArgumentException("the API key must not be empty; leave it unset for no key", nameof(ApiKey));
        if (MaxReasoningTokens is < 0) throw new ArgumentException($"max reasoning tokens must not be negative (got {MaxReasoningTokens})", nameof(MaxReasoningTokens));
        if (ModelAlias is { Length: 0 }) throw new ArgumentException("the model alias must not be empty", nameof(ModelAlias));
    }
}
