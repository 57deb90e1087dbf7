// What HubDownloader.DownloadAsync did: where the file is and how it was checked.

namespace Tessera.Hub;

/// <summary>The outcome of <see cref="HubDownloader.DownloadAsync"/>.</summary>
/// <param name="Path">Where the file is.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="VerifiedSha256">The sha256 the download was checked against, or null when the server published none
/// (then only the size was checked) or the file was already there.</param>
/// <param name="AlreadyPresent">The file was there before; nothing was downloaded.</param>
/// <param name="ResumedFrom">Bytes a previous, interrupted download had left, reused rather than fetched again.</param>
public sealed record HubDownloadResult(string Path, long Size, string? VerifiedSha256, bool AlreadyPresent, long ResumedFrom);
