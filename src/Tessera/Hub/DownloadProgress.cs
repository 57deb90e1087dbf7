// A progress report of HubDownloader: bytes done out of the file's size.

namespace Tessera.Hub;

/// <summary>How far a download is: <paramref name="Done"/> of <paramref name="Total"/> bytes in <paramref name="Stage"/>.</summary>
public readonly record struct DownloadProgress(long Done, long Total, DownloadStage Stage);
