// How a gpt-oss predictor is set up: context size, KV cache type, batch size, CPU threads and arithmetic.

using Tessera.Backends.Cpu;
using Tessera.Quants;

namespace Tessera.Models.GptOss;

/// <summary>Options of a <see cref="GptOssPredictor"/>.</summary>
public sealed record GptOssPredictorOptions
{
    /// <summary>Positions the KV cache holds; at most the model's context_length. Default: 4096 (or context_length if smaller).</summary>
    public int? ContextSize { get; init; }

    /// <summary>KV cache element type: F16 (llama.cpp's default) or F32.</summary>
    public GgmlType KvCacheType { get; init; } = GgmlType.F16;

    /// <summary>Receives the share of the weights loaded (0 to 1) after each tensor.</summary>
    public IProgress<double>? LoadProgress { get; init; }

    /// <summary>Most tokens run through the model at once; longer prompts go in batches of this size (llama.cpp's n_ubatch).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>CPU threads; 0 = one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Instruction-set strategy of the CPU kernels; null = the best the machine has (or TESSERA_CPU_ISA).</summary>
    public CpuIsa? Isa { get; init; }

    /// <summary>Round activations before matrix products as ggml-cpu does (Q8_0 for Q8_0 and MXFP4 weights). On by default:
    /// it brings the logits closer to llama.cpp's.</summary>
    public bool RoundActivations { get; init; } = true;

    /// <summary>CPU attention in ggml-cpu's arithmetic, bit for bit, for comparisons with llama.cpp (see
    /// <see cref="CpuBackend.ExactAttention"/>). Off by default: the tiled path is several times faster at depth and
    /// computes in F32 throughout, so its logits differ from the exact path's by that path's F16 rounding. Applies to a
    /// model run on the CPU backend alone (not to the CPU half of a GPU + CPU placement).</summary>
    public bool ExactAttention { get; init; }

    /// <summary>Where to run: the CPU by default here (the library's <see cref="TesseraModelOptions"/> defaults to Auto).</summary>
    public Backends.DeviceChoice Device { get; init; } = Backends.DeviceChoice.Cpu;

    /// <summary>Tensor by tensor (and expert by expert) what goes on the GPU and what stays in RAM, when the model runs on
    /// both; null runs everything on <see cref="Device"/>.</summary>
    public Placement.TensorPlacement? Placement { get; init; }

    /// <summary>Where a run on both the GPU and the CPU counts the router's picks (for the planner's next choice); may be null.</summary>
    public Placement.ExpertUsage? ExpertUsage { get; init; }
}
