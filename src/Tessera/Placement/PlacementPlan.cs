// A placement and what it costs: the GPU memory it needs part by part against the budget, whether the user's flags or the
// planner chose it, which routing the planner assumed, and what it had to give up (said in words for the user).

using System.Globalization;
using Tessera.Backends;
using Tessera.Models.GptOss;

namespace Tessera.Placement;

/// <summary>The planner's answer.</summary>
public sealed record PlacementPlan
{
    public required ModelTensors Model { get; init; }

    /// <summary>Where every tensor (and every expert) goes.</summary>
    public required TensorPlacement Placement { get; init; }

    /// <summary>GPU memory it needs.</summary>
    public required VramEstimate Vram { get; init; }

    /// <summary>GPU memory it may take.</summary>
    public required long BudgetBytes { get; init; }

    /// <summary>The options planned for.</summary>
    public required PlanOptions Options { get; init; }

    /// <summary>True when the user's flags fixed the placement and the planner only reports on it.</summary>
    public required bool FromFlags { get; init; }

    /// <summary>Router picks the expert order came from; 0 = uniform routing (no counts, or counts of another shape).</summary>
    public required long CountedPicks { get; init; }

    /// <summary>What the planner had to decide or warn about, one sentence each.</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Whether the estimate is within the budget.</summary>
    public bool FitsBudget => Vram.Total <= BudgetBytes;

    /// <summary>Everything on the GPU but the token embedding: the plain CUDA path.</summary>
    public bool AllOnGpu => Placement.AllOnGpu(Model.Tensors.Select(t => t.Name));

    /// <summary>Nothing on the GPU: the plain CPU path.</summary>
    public bool NothingOnGpu => Placement.NothingOnGpu(Model.Tensors.Where(t => t.Name != GptOssTensorNames.TokenEmbedding).Select(t => t.Name));

    /// <summary>Bytes of the weights left in RAM (as the file holds them): the token embedding, the experts and tensors not
    /// on the GPU.</summary>
    public long RamWeightBytes => Model.Tensors.Sum(t => t.IsExpert
        ? t.Bytes / Placement.Experts * (Placement.Experts - Placement.GpuExpertCount(t.Block!.Value))
        : t.Name == GptOssTensorNames.TokenEmbedding || Placement.DeviceOf(t.Name) == Device.Cpu ? t.Bytes : 0);

    /// <summary>The share of block <paramref name="block"/>'s router picks that go to its experts on the GPU (by the
    /// routing planned with: counted or uniform).</summary>
    public double GpuShare(int block)
    {
        var usage = CountedPicks > 0 ? Options.Usage : null;
        double share = 0;
        var set = Placement.GpuExperts(block);
        for (int e = 0; e < set.Length; e++)
            if (set[e]) share += usage?.Share(block, e) ?? 1.0 / set.Length;
        return share;
    }

    /// <summary><c>counted (N router picks)</c> or <c>uniform</c>.</summary>
    public string Routing => CountedPicks > 0 ? string.Create(CultureInfo.InvariantCulture, $"counted ({CountedPicks:N0} router picks)") : "uniform";

    /// <summary>Blocks whose attention and KV cache are on the GPU.</summary>
    public int GpuBlocks => Enumerable.Range(0, Placement.Layers).Count(il => Placement.AttentionDevice(il) != Device.Cpu);

    /// <summary>Whether the output head (output.weight) is on the GPU.</summary>
    public bool HeadOnGpu => Placement.DeviceOf(GptOssTensorNames.Output) != Device.Cpu;

    /// <summary>One line for run, chat, serve and bench, e.g. <c>placement: attention+head+KV on GPU, 20-21 of 32 experts per
    /// block on GPU, the rest in RAM; 7.8 of 8.0 GiB; predicted 110 tok/s</c>.</summary>
    public string Summary(DecodePrediction? prediction = null)
    {
        var text = "placement: " + Describe();
        if (!NothingOnGpu) text += $"; {MemorySize.Format(Vram.Total)} of {MemorySize.Format(BudgetBytes)}";
        if (prediction is not null) text += string.Create(CultureInfo.InvariantCulture, $"; predicted {prediction.TokensPerSecond:F0} tok/s");
        return text;
    }

    /// <summary>What goes where, in a few words.</summary>
    public string Describe()
    {
        if (NothingOnGpu) return "everything in RAM (the CPU)";
        if (AllOnGpu) return "everything on the GPU (the token embedding in RAM)";
        int blocks = Placement.Layers, experts = Placement.Experts;
        var gpuBlocks = Enumerable.Range(0, blocks).Where(il => Placement.AttentionDevice(il) != Device.Cpu).ToArray();
        var parts = new List<string>();
        if (gpuBlocks.Length == blocks) parts.Add(HeadOnGpu ? "attention+head+KV on GPU" : "attention+KV on GPU, head in RAM");
        else if (gpuBlocks.Length == 0) parts.Add("blocks in RAM");
        else parts.Add($"blocks {Ranges(Enumerable.Range(0, blocks).Except(gpuBlocks))} in RAM, attention+KV of blocks {Ranges(gpuBlocks)} on GPU");
        if (gpuBlocks.Length < blocks) parts.Add(HeadOnGpu ? "head on GPU" : "head in RAM");
        var counts = gpuBlocks.Select(Placement.GpuExpertCount).ToArray();
        if (counts.Length > 0)
        {
            int lo = counts.Min(), hi = counts.Max();
            var inRam = gpuBlocks.Where(il => Placement.GpuExpertCount(il) == 0).ToArray();
            if (lo == experts) parts.Add("all experts on GPU");
            else if (hi == 0) parts.Add("experts in RAM");
            else if (counts.All(n => n == 0 || n == experts)) parts.Add($"experts of blocks {Ranges(inRam)} in RAM, the rest on GPU");   // --n-cpu-moe, -ot
            else parts.Add($"{(lo == hi ? $"{lo}" : $"{lo}-{hi}")} of {experts} experts per block on GPU, the rest in RAM");
        }
        return string.Join(", ", parts);
    }

    /// <summary><c>0-3, 5</c> for 0, 1, 2, 3, 5.</summary>
    public static string Ranges(IEnumerable<int> values)
    {
        var sorted = values.Order().ToArray();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}
