// Options for loading a model, named as llama-cpp-python users know them (n_ctx, n_threads, n_gpu_layers, flash_attn).

namespace Tessera;

/// <summary>How a model is loaded. Unknown or impossible values are refused by <see cref="Validate"/> with a clear message.</summary>
public sealed record TesseraModelOptions
{
    /// <summary>Positions of the KV cache (n_ctx). Default 4096; at most the model's training context (131,072 for gpt-oss).</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>CPU threads; null = the number of physical cores (approximated by logical cores / 2 where SMT is likely).</summary>
    public int? Threads { get; init; }

    /// <summary>Layers to place on the GPU (n_gpu_layers): -1 (default) or at least the model's layer count = all of them, 0 =
    /// none (the CPU). A count in between is refused until hybrid placement exists.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Where to run: Auto (default) takes a CUDA GPU when one can be used and otherwise the CPU, saying why.</summary>
    public Backends.DeviceChoice Device { get; init; } = Backends.DeviceChoice.Auto;

    /// <summary>Fused attention (flash_attn). Every backend computes attention in one fused pass (flash-attention style on the
    /// GPU), so this cannot be switched off: false is refused by <see cref="Validate"/>.</summary>
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
        if (!FlashAttention) throw new ArgumentException("flash attention cannot be switched off: Tessera's attention is always fused");
        if (Device == Backends.DeviceChoice.Cpu && GpuLayers > 0)
            throw new ArgumentException($"{GpuLayers} GPU layers were asked for on the CPU device; leave out the GPU layers or choose the cuda device");
    }

    /// <summary>The device for a model of <paramref name="layers"/> layers, with llama.cpp's meaning of GPU layers: 0 is
    /// the CPU, -1 or all of them is <see cref="Device"/>; a part is refused until hybrid placement exists.</summary>
    public Backends.DeviceChoice DeviceFor(int layers)
    {
        if (GpuLayers == 0)
            return Backends.DeviceChoice.Cpu;
        if (GpuLayers > 0 && GpuLayers < layers)
            throw new NotSupportedException($"{GpuLayers} of {layers} layers on the GPU: placing part of a model on the GPU is not "
                + $"supported yet; use 0 GPU layers (the CPU) or -1 / {layers} (all on the GPU)");
        return Device;
    }

    /// <summary>Threads to use: the option, else physical cores.</summary>
    public int EffectiveThreads => Threads ?? DefaultThreads();

    private static int DefaultThreads()
    {
        var logical = Environment.ProcessorCount;
        return logical >= 4 ? logical / 2 : logical;
    }
}
