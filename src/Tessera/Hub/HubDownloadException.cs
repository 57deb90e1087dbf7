// A download that failed for a reason worth telling the user in one line: not found, no access, no room, a size or
// checksum that does not match, an interruption that outlasted the retries, or a server that cannot be reached.

namespace Tessera.Hub;

/// <summary>A model download failed; the message says why and what to do.</summary>
public sealed class HubDownloadException : IOException
{
    /// <summary>A failure with a message for the user.</summary>
    public HubDownloadException(string message, Exception? inner = null) : base(message, inner) { }

    internal HubDownloadException(string message, bool transient) : base(message) => IsTransient = transient;

    /// <summary>The server could not be reached at all (its name did not resolve, the connection was refused or timed
    /// out): offline, or a wrong endpoint. Nothing was downloaded.</summary>
    public bool ServerUnreachable { get; init; }

    /// <summary>Another attempt may succeed (a 5xx answer, a refused resume); the downloader retries these.</summary>
    internal bool IsTransient { get; }
}
