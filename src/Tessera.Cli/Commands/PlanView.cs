// What `tessera plan` prints: the placement block by block (runs of equal blocks on one row), bytes per device, the GPU
// memory part by part against the budget, the decode prediction and the bandwidths behind it; or the same as JSON.

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Cli.Commands;

internal sealed class PlanView(string modelName, PlacementPlan plan, DecodePrediction prediction, string budgetSource)
{
    private readonly GptOssHyperParameters _hp = plan.Model.HyperParameters;

    // A ring of window + batch slots, plus the history of every position when the ring is shorter than the context.
    private string SlidingSlots()
    {
        int context = plan.Options.ContextSize;
        long ring = VramModel.RingSlots(_hp, context, plan.Options.BatchSize);
        return ring < context ? $"a ring of {ring} slots and a history of {context}" : $"{ring} slots";
    }

    private bool AttentionOnGpu(int il) => plan.Placement.AttentionDevice(il) != Device.Cpu;

    public void Print(IAnsiConsole console)
    {
        var v = plan.Vram;
        console.WriteLine($"{modelName}: {_hp.BlockCount} blocks, {_hp.ExpertCount} experts ({_hp.ExpertUsedCount} per token), context {plan.Options.ContextSize}, batch {plan.Options.BatchSize}");
        console.WriteLine($"budget: {MemorySize.Format(plan.BudgetBytes)} ({budgetSource})");
        console.WriteLine(plan.FromFlags ? "placement: as the flags ask" : $"placement: chosen by the planner for the budget, routing {plan.Routing}");

        var blocks = new Table().AddColumns("blocks", "attention + KV", "experts on GPU", "share of picks on GPU");
        foreach (var (first, last) in Runs())
            blocks.AddRow(first == last ? $"{first}" : $"{first}-{last}", AttentionOnGpu(first) ? "GPU" : "RAM",
                $"{plan.Placement.GpuExpertCount(first)}/{_hp.ExpertCount}", Shares(first, last));
        blocks.AddRow("head", plan.HeadOnGpu ? "GPU" : "RAM", "", "");
        blocks.AddRow("token_embd", "RAM", "", "");
        console.Write(blocks);

        console.WriteLine($"weights: {MemorySize.Format(v.Weights)} on the GPU, {MemorySize.Format(plan.RamWeightBytes)} in RAM");
        var vram = new Table().AddColumns("GPU memory", "bytes", "what");
        vram.Columns[1].RightAligned();
        vram.AddRow("weights", MemorySize.Format(v.Weights), "GGUF bytes of the tensors on the GPU (types without CUDA kernels as F32), experts pro rata, expert biases whole");
        vram.AddRow("KV cache", MemorySize.Format(v.KvCache), $"{plan.Options.KvCacheType}, {plan.GpuBlocks} blocks on the GPU; full blocks {plan.Options.ContextSize} slots, sliding-window blocks {SlidingSlots()}");
        vram.AddRow("work buffers", MemorySize.Format(v.WorkBuffers), $"activations, scratch, logits, RoPE table for batches of {plan.Options.BatchSize}; with a margin of {MemorySize.Format(VramModel.WorkMarginBytes)} + 10%");
        vram.AddRow("prefill staging", MemorySize.Format(v.Staging), "room for the most experts a block keeps in RAM, copied in for a prompt");
        vram.AddRow("CUDA context", MemorySize.Format(v.ContextOverhead), "the context and the driver's own, by its count (a stated constant)");
        vram.AddRow("total", MemorySize.Format(v.Total), $"of {MemorySize.Format(plan.BudgetBytes)}{(plan.FitsBudget ? "" : ": OVER THE BUDGET")}");
        console.Write(vram);

        console.WriteLine(Invariant($"decode: {prediction.TokensPerSecond:F1} tokens/s predicted at a KV depth of {prediction.KvDepth} ({prediction.SecondsPerToken * 1e3:F2} ms a token: GPU reads {prediction.GpuBytesPerToken / 1e9:F2} GB, CPU {prediction.CpuBytesPerToken / 1e9:F2} GB, {prediction.OverheadSeconds * 1e3:F2} ms of synchronisation and kernels)"));
        console.WriteLine(Invariant($"bandwidths: CPU {prediction.Bandwidths.CpuBytesPerSecond / 1e9:F1} GB/s ({prediction.Bandwidths.CpuSource}); GPU {prediction.Bandwidths.GpuBytesPerSecond / 1e9:F0} GB/s ({prediction.Bandwidths.GpuSource})"));
        foreach (var note in plan.Notes) console.WriteLine($"note: {note}");
        console.WriteLine(plan.Summary(prediction));
    }

    public string Json()
    {
        var v = plan.Vram;
        var b = prediction.Bandwidths;
        var blocks = new JsonArray();
        for (int il = 0; il < _hp.BlockCount; il++)
        {
            var set = plan.Placement.GpuExperts(il).ToArray();
            blocks.Add((JsonNode)new JsonObject
            {
                ["block"] = il,
                ["attention"] = AttentionOnGpu(il) ? "gpu" : "cpu",
                ["gpu_experts"] = new JsonArray(Enumerable.Range(0, set.Length).Where(e => set[e]).Select(e => (JsonNode)e).ToArray()),
                ["gpu_share"] = plan.GpuShare(il),
            });
        }
        var json = new JsonObject
        {
            ["model"] = modelName,
            ["blocks_count"] = _hp.BlockCount,
            ["experts"] = _hp.ExpertCount,
            ["experts_used"] = _hp.ExpertUsedCount,
            ["context_size"] = plan.Options.ContextSize,
            ["batch_size"] = plan.Options.BatchSize,
            ["budget_bytes"] = plan.BudgetBytes,
            ["budget_source"] = budgetSource,
            ["from_flags"] = plan.FromFlags,
            ["routing"] = plan.CountedPicks > 0 ? "counted" : "uniform",
            ["counted_picks"] = plan.CountedPicks,
            ["vram"] = new JsonObject
            {
                ["weights"] = v.Weights, ["kv_cache"] = v.KvCache, ["work_buffers"] = v.WorkBuffers, ["staging"] = v.Staging,
                ["context_overhead"] = v.ContextOverhead, ["total"] = v.Total,
            },
            ["fits"] = plan.FitsBudget,
            ["gpu_weight_bytes"] = v.Weights,
            ["ram_weight_bytes"] = plan.RamWeightBytes,
            ["head"] = plan.HeadOnGpu ? "gpu" : "cpu",
            ["blocks"] = blocks,
            ["prediction"] = new JsonObject
            {
                ["tokens_per_second"] = prediction.TokensPerSecond, ["seconds_per_token"] = prediction.SecondsPerToken,
                ["gpu_bytes_per_token"] = prediction.GpuBytesPerToken, ["cpu_bytes_per_token"] = prediction.CpuBytesPerToken,
                ["overhead_seconds"] = prediction.OverheadSeconds, ["kv_depth"] = prediction.KvDepth,
            },
            ["bandwidths"] = new JsonObject
            {
                ["cpu_bytes_per_second"] = b.CpuBytesPerSecond, ["cpu_source"] = b.CpuSource,
                ["gpu_bytes_per_second"] = b.GpuBytesPerSecond, ["gpu_source"] = b.GpuSource,
            },
            ["notes"] = new JsonArray(plan.Notes.Select(n => (JsonNode)n).ToArray()),
            ["summary"] = plan.Summary(prediction),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    // Runs of consecutive blocks placed alike (attention's device and experts on the GPU).
    private IEnumerable<(int First, int Last)> Runs()
    {
        for (int first = 0; first < _hp.BlockCount;)
        {
            int last = first;
            while (last + 1 < _hp.BlockCount && AttentionOnGpu(last + 1) == AttentionOnGpu(first)
                   && plan.Placement.GpuExpertCount(last + 1) == plan.Placement.GpuExpertCount(first))
                last++;
            yield return (first, last);
            first = last + 1;
        }
    }

    private string Shares(int first, int last)
    {
        var shares = Enumerable.Range(first, last - first + 1).Select(plan.GpuShare).ToArray();
        double lo = shares.Min() * 100, hi = shares.Max() * 100;
        return Math.Round(lo) == Math.Round(hi) ? Invariant($"{lo:F0}%") : Invariant($"{lo:F0}-{hi:F0}%");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
