// `tessera plan -m FILE [--gpu-memory X] [--ctx N] [-t N] [placement flags] [--json]`: where the weights of a model would
// go for a GPU memory budget, what the GPU memory holds part by part, and the decode speed the planner predicts, with the
// bandwidths it used and where they came from. Needs no GPU: without one, give --gpu-memory (and --gpu-bandwidth, or an
// assumed card is used and said so). The router counts saved by earlier runs of the same file are used when there are any.
// `--preset gpt-oss-20b` in place of -m plans for a published shape (ggml-org's tensor types) before it is downloaded.

using System.CommandLine;
using Tessera.Backends.Cuda;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Cli.Commands;

internal static class PlanCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file, or a name tessera list shows" };
        var preset = new Option<string?>("--preset") { Description = $"Plan for a published shape instead of a file: {string.Join(", ", GptOssHyperParameters.Presets.Keys)}" };
        var context = new Option<int>("--ctx-size", "-c", "--ctx") { Description = "Context size in tokens", DefaultValueFactory = _ => 4096 };
        var threads = new Option<int?>("--threads", "-t") { Description = "CPU threads that would compute experts in RAM (default: physical cores)" };
        var depth = new Option<int?>("--depth") { Description = "Positions in the KV cache the decode prediction assumes (default: half the context)" };
        var gpuBandwidth = new Option<double?>("--gpu-bandwidth") { Description = "GPU bandwidth to predict with, GB/s (default: the driver's peak × the kernels' share, or an assumed card)" };
        var cpuBandwidth = new Option<double?>("--cpu-bandwidth") { Description = "CPU bandwidth to predict with, GB/s (default: measured on this machine, cached)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables" };
        var placement = new PlacementOptions();
        var command = new Command("plan", "Show where a model's weights would go for a GPU memory budget and the decode speed predicted (no GPU needed)")
        {
            model, preset, context, threads, depth, gpuBandwidth, cpuBandwidth, json,
        };
        placement.AddTo(command);
        command.SetAction(r =>
        {
            var request = placement.Request(r);
            int ctx = r.GetValue(context);
            if (ctx < 16) throw new CliException($"{PlacementOptions.Typed(r, context)} must be at least 16 tokens, not {ctx}");
            int t = r.GetValue(threads) ?? new TesseraModelOptions().EffectiveThreads;
            if (t is < 1 or > 1024) throw new CliException($"{PlacementOptions.Typed(r, threads)} must be between 1 and 1024, not {t}");
            if (r.GetValue(depth) is < 0) throw new CliException($"--depth must be 0 or more, not {r.GetValue(depth)}");
            foreach (var bandwidth in new[] { cpuBandwidth, gpuBandwidth })
                if (r.GetValue(bandwidth) is { } b && !(b > 0 && double.IsFinite(b)))
                    throw new CliException($"{bandwidth.Name} must be a number of GB/s above 0, not {b}");

            var (name, tensors, usagePath) = Model(r.GetValue(model), r.GetValue(preset), hub, stderr);
            var hp = tensors.HyperParameters;
            if (ctx > hp.ContextLength) throw new CliException($"context size {ctx} is larger than the model's training context ({hp.ContextLength})");
            var gpu = Gpu();
            var (budget, budgetSource) = placement.GpuMemoryBytes(r) is { } asked ? (asked, "--gpu-memory")
                : gpu is { } g ? (GpuMemoryBudget.FromFree(g.Free), GpuMemoryBudget.Describe(g.Free))
                : throw new CliException($"{NoGpuReason()}, so there is no free GPU memory to plan for: give a budget with --gpu-memory, e.g. --gpu-memory 8GiB");
            var usage = usagePath is null ? null : ExpertUsageStore.Load(usagePath, hp.BlockCount, hp.ExpertCount);
            PlacementPlan plan;
            try
            {
                plan = PlacementPlanner.Plan(tensors, new PlanOptions { GpuMemoryBytes = budget, ContextSize = ctx, Request = request, Usage = usage });
            }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var bandwidths = Bandwidths(r.GetValue(cpuBandwidth), r.GetValue(gpuBandwidth), gpu, t, hub.TesseraPlacementCache, plan);
            var prediction = DecodeSpeedModel.Predict(plan, bandwidths, r.GetValue(depth));
            var report = new PlanView(name, plan, prediction, budgetSource);
            if (r.GetValue(json)) stdout.WriteLine(report.Json());
            else report.Print(Format.Console(stdout));
            return 0;
        });
        return command;
    }

    // The model's name, tensors and router counts file: from -m, or from --preset's shape (no counts).
    private static (string Name, ModelTensors Tensors, string? UsagePath) Model(string? path, string? preset, HubEnvironment hub, TextWriter stderr)
    {
        if ((path is null) == (preset is null)) throw new CliException("give a model file with -m, or a shape with --preset (not both)");
        if (preset is not null)
            return GptOssHyperParameters.Presets.TryGetValue(preset, out var hp)
                ? (preset, ModelTensors.FromLayout(hp), null)
                : throw new CliException($"unknown preset \"{preset}\" (known: {string.Join(", ", GptOssHyperParameters.Presets.Keys)})");
        path = ModelReference.RequireFile(ModelReference.Local(path!, hub, stderr).Path);
        using var file = GgufFile.Open(path!);
        return (Path.GetFileName(path!), ModelTensors.FromGguf(file), ExpertUsageStore.PathFor(hub.TesseraPlacementCache, ExpertUsageStore.ModelKey(file)));
    }

    private static (long Free, double PeakBandwidth, string Name)? Gpu()
    {
        if (CudaDeviceInfo.Probe(out _) is null) return null;
        try
        {
            using var context = CudaContext.Open();
            return (context.MemoryInfo().Free, context.PeakMemoryBandwidth(), context.Device.Name);
        }
        catch (CudaException) { return null; }
    }

    private static string NoGpuReason()
    {
        CudaDeviceInfo.Probe(out var reason);
        return reason.Length > 0 ? reason : "the GPU could not be opened";
    }

    private static Bandwidths Bandwidths(double? cpuGBs, double? gpuGBs, (long Free, double PeakBandwidth, string Name)? gpu, int threads,
        string cacheDirectory, PlacementPlan plan)
    {
        if (cpuGBs is <= 0 || gpuGBs is <= 0) throw new CliException("--cpu-bandwidth and --gpu-bandwidth must be above zero (GB/s)");
        var (cpu, cpuSource) = cpuGBs is { } c ? (c * 1e9, "--cpu-bandwidth")
            : plan.AllOnGpu ? (0.0, "not used: nothing runs on the CPU")
            : Placement.Bandwidths.FromCpuProbe(CpuBandwidthProbe.Get(threads, cacheDirectory, out var how), how);
        var (gpuBw, gpuSource) = gpuGBs is { } g ? (g * 1e9, "--gpu-bandwidth")
            : plan.NothingOnGpu ? (0.0, "not used: nothing runs on the GPU")
            : gpu is { } d ? Placement.Bandwidths.FromGpuPeak(d.PeakBandwidth, d.Name)
            : Placement.Bandwidths.AssumedGpu();
        return new Placement.Bandwidths(cpu, cpuSource, gpuBw, gpuSource);
    }
}
