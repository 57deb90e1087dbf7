// Chooses the forward pass for a GGUF file's architecture and places it: on the CPU, on a CUDA GPU, or on both, tensor by
// tensor, as the placement planner decides for the GPU memory there is (or as the user's flags fix it). GPU layers keep
// llama.cpp's meaning: 0 is the CPU, -1 everything the budget allows, N the last N blocks.

using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Placement;
using Tessera.Quants;

namespace Tessera;

internal static class ModelLoader
{
    /// <summary>A predictor and what its placement was: a note for the user (why the CPU), the one-line placement summary,
    /// and what saves the router counts when the model is done.</summary>
    public sealed record Loaded(ITokenPredictor Predictor, string? Note, string? PlacementSummary, Action SaveUsage);

    /// <summary>The predictor for the model in <paramref name="path"/>; <paramref name="file"/> is the same file, already open.</summary>
    public static Loaded CreatePredictor(string path, GgufFile file, TesseraModelOptions options)
    {
        var architecture = file[GgufKeys.Architecture]?.Raw as string;
        if (architecture != GptOssHyperParameters.ArchitectureName)
            throw new NotSupportedException($"model architecture \"{architecture ?? "(none)"}\" is not supported: Tessera runs gpt-oss models");
        var hp = GptOssHyperParameters.FromGguf(file);
        if (options.ContextSize > hp.ContextLength)
            throw new ArgumentException($"context size {options.ContextSize} is larger than the model's training context ({hp.ContextLength})");
        var predictorOptions = new GptOssPredictorOptions
        {
            ContextSize = options.ContextSize,
            Threads = options.EffectiveThreads,
            KvCacheType = options.KvCacheF16 ? GgmlType.F16 : GgmlType.F32,
            LoadProgress = options.LoadProgress,
        };
        using var decision = PlacementDecision.Make(file, options.DeviceFor(hp.BlockCount), options.PlacementRequest, options.GpuMemory,
            options.ContextSize, predictorOptions.BatchSize, predictorOptions.KvCacheType, predictorOptions.Threads,
            options.PlacementCacheDirectory ?? PlacementCache.DefaultDirectory);
        var predictor = GptOssPredictor.Open(path, predictorOptions with
        {
            Device = decision.Device,
            Placement = decision.Placement,
            ExpertUsage = decision.Placement is null ? null : decision.Usage,
        }, out var note);
        var (usage, usagePath, size) = (decision.Placement is null ? null : decision.Usage, decision.UsagePath, file.FileSize);
        var name = Path.GetFileName(path);
        return new Loaded(predictor, JoinNotes(decision.Note, note), decision.Summary,
            () => PlacementDecision.SaveUsage(usage, usagePath, name, size));
    }

    private static string? JoinNotes(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";
}
