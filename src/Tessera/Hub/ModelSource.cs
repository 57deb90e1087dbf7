// The places a local GGUF file can come from, in the order discovery prefers them.

namespace Tessera.Hub;

/// <summary>Where <see cref="ModelDiscovery"/> found a model. The order is the priority order.</summary>
public enum ModelSource
{
    /// <summary>Tessera's own folder (<see cref="HubEnvironment.TesseraModels"/>), where <c>tessera pull</c> saves.</summary>
    Tessera,

    /// <summary>LM Studio's model folder.</summary>
    LmStudio,

    /// <summary>The Hugging Face Hub cache (huggingface_hub, <c>hf download</c>).</summary>
    HuggingFace,

    /// <summary>llama.cpp's download cache (<c>llama-cli -hf</c>).</summary>
    LlamaCpp,

    /// <summary>Ollama's model store (<c>ollama pull</c>): manifests naming GGUF blobs.</summary>
    Ollama,
}
