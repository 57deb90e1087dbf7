// A GGUF file found on this machine by ModelDiscovery.

namespace Tessera.Hub;

/// <summary>A GGUF file on this machine: its path, its size and the tool whose folder holds it.</summary>
/// <param name="Path">Full path (in the Hugging Face cache, the snapshot path, a link to the blob).</param>
/// <param name="Size">Bytes of the file (of the link's target).</param>
/// <param name="Source">The folder it was found in.</param>
public sealed record LocalModel(string Path, long Size, ModelSource Source)
{
    /// <summary>The source as people name it: "Tessera", "LM Studio", "Hugging Face cache", "llama.cpp cache".</summary>
    public string SourceName => Source switch
    {
        ModelSource.Tessera => "Tessera",
        ModelSource.LmStudio => "LM Studio",
        ModelSource.HuggingFace => "Hugging Face cache",
        _ => "llama.cpp cache",
    };
}
