// How HubDownloader retries, waits and checks for room; tests shorten the waits and fake the free space.

namespace Tessera.Hub;

/// <summary>Settings of <see cref="HubDownloader"/>.</summary>
public sealed record HubDownloadOptions
{
    /// <summary>Attempts per download, the first included; an interrupted attempt resumes where the last one stopped. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before the second attempt, doubled before each later one. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the server may stay silent (no headers, no bytes) before the attempt counts as interrupted. Default 60 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Free bytes on the drive of a folder; default asks the operating system.</summary>
    public Func<string, long>? FreeSpace { get; init; }

    /// <summary>Receives one-line notes: resuming, restarting, retrying, no checksum published.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentException($"MaxAttempts must be at least 1 (got {MaxAttempts})");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentException("RetryDelay must not be negative");
        if (ReadTimeout <= TimeSpan.Zero) throw new ArgumentException("ReadTimeout must be positive");
    }
}
