// The placement flags a user can give, with llama.cpp's meanings (common/arg.cpp, src/llama-model.cpp):
// -ngl N puts the LAST N blocks on the GPU (i_gpu_start = max(n_layer - N, 0)) and the output head too only when
// N > n_layer; -1 is everything, 0 nothing. --cpu-moe keeps every block's expert tensors in RAM, --n-cpu-moe N those of
// blocks 0..N-1. -ot rules come first and the first that matches a tensor decides it; --cpu-moe and --n-cpu-moe act as
// rules after them (llama.cpp adds them to the same list). The token embedding stays in RAM whatever is asked, and -ngl 0
// is the CPU backend whatever the rules say.

using Tessera.Backends;
using Tessera.Models.GptOss;

namespace Tessera.Placement;

/// <summary>What the user asked about placement: GPU layers, experts kept in RAM and per-tensor overrides.</summary>
public sealed record PlacementRequest
{
    /// <summary>llama.cpp's n_gpu_layers: -1 (default) = everything on the GPU, 0 = nothing, N = the last N blocks, and
    /// the output head when N is above the block count.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Every block's expert tensors in RAM (llama.cpp's --cpu-moe).</summary>
    public bool CpuMoe { get; init; }

    /// <summary>The expert tensors of the first N blocks in RAM (llama.cpp's --n-cpu-moe).</summary>
    public int NCpuMoe { get; init; }

    /// <summary>Per-tensor rules (llama.cpp's -ot), first match wins.</summary>
    public IReadOnlyList<TensorOverride> Overrides { get; init; } = [];

    /// <summary>Whether the flags fix the placement (a partial -ngl, --cpu-moe, --n-cpu-moe or an -ot rule), so that the
    /// planner only reports on it; otherwise the planner chooses.</summary>
    public bool IsExplicit(int blocks) => GpuLayers >= 1 && GpuLayers <= blocks || CpuMoe || NCpuMoe > 0 || Overrides.Count > 0;

    /// <summary>Whether nothing is asked of the GPU (-ngl 0).</summary>
    public bool CpuOnly => GpuLayers == 0;

    /// <summary>The first block on the GPU by -ngl alone (llama.cpp's i_gpu_start); <paramref name="blocks"/> when none is.</summary>
    public int FirstGpuBlock(int blocks) => GpuLayers < 0 ? 0 : Math.Max(blocks - GpuLayers, 0);

    /// <summary>Whether -ngl alone puts the output head (output_norm and output) on the GPU: N above the block count, or -1.</summary>
    public bool HeadOnGpu(int blocks) => GpuLayers < 0 || GpuLayers > blocks;

    /// <summary>Throws <see cref="ArgumentException"/> for values that cannot work.</summary>
    public void Validate()
    {
        if (GpuLayers < -1) throw new ArgumentException($"GPU layers must be -1 (all), 0 or a positive count (got {GpuLayers})");
        if (NCpuMoe < 0) throw new ArgumentException($"the blocks whose experts stay in RAM must be 0 or more (got {NCpuMoe})");
    }

    /// <summary>Where <paramref name="tensorName"/> goes by these flags alone, for a model of <paramref name="blocks"/>
    /// blocks: the first -ot rule that matches, then --cpu-moe and --n-cpu-moe, then -ngl (a block's tensors follow the
    /// block; output_norm and output follow the head). The token embedding is always the CPU.</summary>
    public Device DeviceOf(string tensorName, int blocks, Device gpu)
    {
        if (tensorName == GptOssTensorNames.TokenEmbedding || CpuOnly) return Device.Cpu;
        if (TensorOverride.FirstMatch(Overrides, tensorName) is { } rule) return rule.Device == Device.Cpu ? Device.Cpu : gpu;
        int? block = BlockOf(tensorName);
        if (TensorPlacement.ExpertLayer(tensorName) is int il && (CpuMoe || il < NCpuMoe)) return Device.Cpu;
        bool onGpu = block is int b ? b >= FirstGpuBlock(blocks) : HeadOnGpu(blocks);
        return onGpu ? gpu : Device.Cpu;
    }

    /// <summary>The block of <c>blk.N.*</c>, else null.</summary>
    public static int? BlockOf(string tensorName)
    {
        if (!tensorName.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int end = tensorName.IndexOf('.', 4);
        return end > 4 && int.TryParse(tensorName.AsSpan(4, end - 4), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int b) ? b : null;
    }
}
