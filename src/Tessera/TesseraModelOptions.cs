// Options for loading a model, named as llama-cpp-python users know them (n_ctx, n_threads, n_gpu_layers, flash_attn).

namespace Tessera;

/// <summary>How a model is loaded. Unknown or impossible values are refused by <see cref="Validate"/> with a clear message.</summary>
public sealed record TesseraModelOptions
{
    /// <summary>Positions of the KV cache (n_ctx). Default 4096; at most the model's training context (131,072 for gpt-oss).</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>CPU threads; null = the number of physical cores (approximated by logical cores / 2 where SMT is likely).</summary>
    public int? Threads { get; init; }

    /// <summary>Layers to place on the GPU (n_gpu_layers). 0 = CPU only; -1 = all. Ignored, with a note, when no GPU backend is available.</summary>
    public int GpuLayers { get; init; }

    /// <summary>Fused attention (flash_attn). The CPU backend always computes attention in one fused pass; kept for compatibility.</summary>
    public bool FlashAttention { get; init; } = true;

    /// <summary>Store keys and values as F16 (llama.cpp's default) rather than F32.</summary>
    public bool KvCacheF16 { get; init; } = true;

    /// <summary>Name reported as <c>model</c> in results; default the file name without extension.</summary>
    public string? Alias { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (ContextSize < 16) throw new ArgumentException($"context size must be at least 16 tokens (got {ContextSize})");
        if (Threads is < 1 or > 1024) throw new ArgumentException($"threads must be between 1 and 1024 (got {Threads})");
        if (GpuLayers < -1) throw new ArgumentException($"GPU layers must be -1 (all), 0 or a positive count (got {GpuLayers})");
    }

    /// <summary>Threads to use: the option, else physical cores.</summary>
    public int EffectiveThreads => Threads ?? DefaultThreads();

    private static int DefaultThreads()
    {
        var logical = Environment.ProcessorCount;
        return logical >= 4 ? logical / 2 : logical;
    }
}
