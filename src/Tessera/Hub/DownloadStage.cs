// What a download is doing when it reports progress.

namespace Tessera.Hub;

/// <summary>The stage a <see cref="DownloadProgress"/> report belongs to.</summary>
public enum DownloadStage
{
    /// <summary>Reading back the bytes a previous attempt left in the <c>.partial</c> file, to checksum them.</summary>
    Hashing,

    /// <summary>Receiving bytes from the server.</summary>
    Downloading,
}
