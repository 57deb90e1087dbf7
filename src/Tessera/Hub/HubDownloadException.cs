// A download that failed for a reason worth telling the user in one line: not found, no access, no room, a size or
// checksum that does not match, or an interruption that outlasted the retries.

namespace Tessera.Hub;

/// <summary>A model download failed; the message says why and what to do.</summary>
public sealed class HubDownloadException : IOException
{
    /// <summary>A failure with a message for the user.</summary>
    public HubDownloadException(string message, Exception? inner = null) : base(message, inner) { }

    internal HubDownloadException(string message, bool transient) : base(message) => IsTransient = transient;

    /// <summary>Another attempt may succeed (a 5xx answer, a refused resume); the downloader retries these.</summary>
    internal bool IsTransient { get; }
}
