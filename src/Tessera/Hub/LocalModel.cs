// A GGUF file found on this machine by ModelDiscovery.

namespace Tessera.Hub;

/// <summary>A GGUF file on this machine: its path, its size, the tool whose folder holds it and the name it goes by.</summary>
/// <param name="Path">Full path (in the Hugging Face cache, the snapshot path, a link to the blob; in Ollama's store, the blob).</param>
/// <param name="Size">Bytes of the file (of the link's target).</param>
/// <param name="Source">The folder it was found in.</param>
/// <param name="Name">What <c>-m</c> accepts in place of the path: <c>OWNER/REPO:FILE</c> for Tessera, LM Studio and the
/// Hugging Face cache, the file name for llama.cpp's cache, <c>MODEL:TAG</c> for Ollama (as <c>ollama list</c> shows it).</param>
public sealed record LocalModel(string Path, long Size, ModelSource Source, string Name)
{
    /// <summary>The source as people name it: "Tessera", "LM Studio", "Hugging Face cache", "llama.cpp cache", "Ollama".</summary>
    public string SourceName => Source switch
    {
        ModelSource.Tessera => "Tessera",
        ModelSource.LmStudio => "LM Studio",
        ModelSource.HuggingFace => "Hugging Face cache",
        ModelSource.LlamaCpp => "llama.cpp cache",
        _ => "Ollama",
    };

    /// <summary>OWNER/REPO of the Hugging Face repository the file came from, when its folder says so (else null).</summary>
    public string? Repository => Name.IndexOf(':') is > 0 and var colon && Name.IndexOf('/') is > 0 and var slash && slash < colon && Source != ModelSource.Ollama
        ? Name[..colon] : null;

    /// <summary>The file's name inside its repository (the part after the colon), or the file name.</summary>
    public string FileName => Repository is not null ? Name[(Name.IndexOf(':') + 1)..] : System.IO.Path.GetFileName(Path);
}
