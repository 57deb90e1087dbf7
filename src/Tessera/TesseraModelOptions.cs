// Options for loading a model, named as llama-cpp-python users know them (n_ctx, n_threads, n_gpu_layers, flash_attn),
// and llama.cpp's placement flags (--cpu-moe, --n-cpu-moe, -ot) with their meanings (Placement/PlacementRequest.cs).

namespace Tessera;

/// <summary>How a model is loaded. Unknown or impossible values are refused by <see cref="Validate"/> with a clear message.</summary>
public sealed record TesseraModelOptions
{
    /// <summary>Positions of the KV cache (n_ctx). Default 4096; at most the model's training context (131,072 for gpt-oss).</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>CPU threads; null = one per physical core (performance cores on a hybrid Intel CPU), from the OS where it
    /// says, else logical processors / 2.</summary>
    public int? Threads { get; init; }

    /// <summary>Blocks on the GPU, as llama.cpp's n_gpu_layers counts them: -1 (default) = all, 0 = none (the CPU), N = the
    /// last N blocks, and the output head too when N is above the block count. A partial count is honoured as given;
    /// without one (and without <see cref="CpuMoe"/>, <see cref="NCpuMoe"/> and <see cref="TensorOverrides"/>) the planner
    /// chooses what goes on the GPU for <see cref="GpuMemory"/>.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Keep every block's expert tensors in RAM (llama.cpp's --cpu-moe).</summary>
    public bool CpuMoe { get; init; }

    /// <summary>Keep the expert tensors of the first N blocks in RAM (llama.cpp's --n-cpu-moe).</summary>
    public int NCpuMoe { get; init; }

    /// <summary>Per-tensor placement rules (llama.cpp's -ot), the first that matches a tensor's name wins.</summary>
    public IReadOnlyList<Placement.TensorOverride> TensorOverrides { get; init; } = [];

    /// <summary>GPU memory the model may take, the CUDA context included; null = what the driver reports free, less a margin.</summary>
    public long? GpuMemory { get; init; }

    /// <summary>Where the planner keeps this machine's CPU bandwidth and each model's router counts; null = the default
    /// (<c>$TESSERA_HOME/placement</c>, else <c>~/.cache/tessera/placement</c>).</summary>
    public string? PlacementCacheDirectory { get; init; }

    /// <summary>Where to run: Auto (default) takes a CUDA GPU when one can be used and otherwise the CPU, saying why.</summary>
    public Backends.DeviceChoice Device { get; init; } = Backends.DeviceChoice.Auto;

    /// <summary>Fused attention (flash_attn). Every backend computes attention in one fused pass (flash-attention style on the
    /// GPU), so this cannot be switched off: false is refused by <see cref="Validate"/>.</summary>
    public bool FlashAttention { get; init; } = true;

    /// <summary>Store keys and values as F16 (llama.cpp's default) rather than F32.</summary>
    public bool KvCacheF16 { get; init; } = true;

    /// <summary>Receives the share of the weights loaded (0 to 1) after each tensor. On the CPU the weights are mapped and
    /// this moves fast; on a GPU it follows the upload.</summary>
    public IProgress<double>? LoadProgress { get; init; }

    /// <summary>Name reported as <c>model</c> in results; default the file name without extension.</summary>
    public string? Alias { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (ContextSize < 16) throw new ArgumentException($"context size must be at least 16 tokens (got {ContextSize})");
        if (Threads is < 1 or > 1024) throw new ArgumentException($"threads must be between 1 and 1024 (got {Threads})");
        PlacementRequest.Validate();
        if (GpuMemory is <= 0) throw new ArgumentException($"GPU memory must be above zero (got {GpuMemory})");
        if (!FlashAttention) throw new ArgumentException("flash attention cannot be switched off: Tessera's attention is always fused");
        if (Device == Backends.DeviceChoice.Cpu && GpuLayers > 0)
            throw new ArgumentException($"{GpuLayers} GPU layers were asked for on the CPU device; leave out the GPU layers or choose the cuda device");
    }

    /// <summary>The device for a model of <paramref name="layers"/> layers, with llama.cpp's meaning of GPU layers: 0 is
    /// the CPU, anything else is <see cref="Device"/> (a part of the model on the GPU is a placement on it).</summary>
    public Backends.DeviceChoice DeviceFor(int layers) => GpuLayers == 0 ? Backends.DeviceChoice.Cpu : Device;

    /// <summary>The placement flags together.</summary>
    public Placement.PlacementRequest PlacementRequest => new()
    {
        GpuLayers = GpuLayers, CpuMoe = CpuMoe, NCpuMoe = NCpuMoe, Overrides = TensorOverrides,
    };

    /// <summary>Threads to use: the option, else physical cores.</summary>
    public int EffectiveThreads => Threads ?? DefaultThreads();

    // One per physical (performance) core: Backends.Cpu.CpuTopology.
    private static int DefaultThreads() => Backends.Cpu.CpuTopology.DefaultThreads;
}
