// What the loader decides before it opens a model on a GPU: the budget (--gpu-memory, or the driver's free memory), the
// placement for it (PlacementPlanner), the router counts saved for this model file, and the one-line summary run, chat,
// serve and bench print. A placement is handed to the predictor only when the model runs on both devices; everything on
// the GPU, or everything on the CPU, keeps its plain path. The CUDA context opened to ask the driver stays open until
// the predictor has made its own, so the primary context is made once.

using Tessera.Backends;
using Tessera.Backends.Cuda;
using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Placement;

/// <summary>The device, placement and router counts a model is opened with.</summary>
internal sealed class PlacementDecision : IDisposable
{
    private CudaContext? _context;

    private PlacementDecision(DeviceChoice device) => Device = device;

    /// <summary>Where the predictor runs.</summary>
    public DeviceChoice Device { get; private init; }

    /// <summary>The placement when the model runs on both devices, else null.</summary>
    public TensorPlacement? Placement { get; private init; }

    /// <summary>Router counts: loaded for this model file or new; null when nothing runs on the GPU.</summary>
    public ExpertUsage? Usage { get; private init; }

    /// <summary>Where <see cref="Usage"/> is kept between runs.</summary>
    public string? UsagePath { get; private init; }

    /// <summary>The plan, when one was made.</summary>
    public PlacementPlan? Plan { get; private init; }

    /// <summary>One line for the user, e.g. <c>placement: attention+head+KV on GPU, …; predicted 110 tok/s</c>; null on the CPU.</summary>
    public string? Summary { get; private init; }

    /// <summary>Something the user should know (the budget left nothing for the GPU), or null.</summary>
    public string? Note { get; private init; }

    /// <summary>Decides for the model in <paramref name="file"/>. <paramref name="device"/> is the device the options ask
    /// for (-ngl 0 already made it the CPU). Without a usable GPU, Auto and Cuda are passed on as they are, for the
    /// backend factory to fall back or to say why.</summary>
    /// <exception cref="ArgumentException">The flags fix a placement that needs more GPU memory than the budget.</exception>
    public static PlacementDecision Make(GgufFile file, DeviceChoice device, PlacementRequest request, long? gpuMemory,
        int contextSize, int batchSize, GgmlType kvType, int threads, string? cacheDirectory)
    {
        if (device == DeviceChoice.Cpu || CudaDeviceInfo.Probe(out _) is not { } gpu)
            return new PlacementDecision(device);
        CudaContext? context;
        try { context = CudaContext.Open(); }
        catch (CudaException) when (device == DeviceChoice.Auto) { return new PlacementDecision(device); }   // the factory says why
        try
        {
            var model = ModelTensors.FromGguf(file);
            var hp = model.HyperParameters;
            long budget = gpuMemory ?? GpuMemoryBudget.FromFree(context.MemoryInfo().Free);
            string? usagePath = cacheDirectory is null ? null : ExpertUsageStore.PathFor(cacheDirectory, ExpertUsageStore.ModelKey(file));
            var usage = (usagePath is null ? null : ExpertUsageStore.Load(usagePath, hp.BlockCount, hp.ExpertCount))
                ?? new ExpertUsage(hp.BlockCount, hp.ExpertCount);
            var plan = PlacementPlanner.Plan(model, new PlanOptions
            {
                GpuMemoryBytes = budget, ContextSize = contextSize, BatchSize = batchSize, KvCacheType = kvType, Request = request, Usage = usage,
            });
            string budgetText = gpuMemory is null ? $"the {MemorySize.Format(budget)} budget from the GPU's free memory" : $"--gpu-memory {MemorySize.Format(budget)}";
            if (plan.FromFlags && !plan.FitsBudget)
                throw new ArgumentException($"the placement asked for needs {MemorySize.Format(plan.Vram.Total)} of GPU memory, more than "
                    + $"{budgetText}: put fewer blocks on the GPU (-ngl) or keep more experts in RAM (--n-cpu-moe, --cpu-moe)");
            if (plan.NothingOnGpu)
                return new PlacementDecision(DeviceChoice.Cpu) { Plan = plan, Note = $"{string.Join("; ", plan.Notes)}; running on the CPU" };

            // The probe runs (once per machine, then cached) only when the CPU has a part in decoding.
            var (cpuBandwidth, cpuSource) = plan.AllOnGpu ? (0.0, "not used")
                : Bandwidths.FromCpuProbe(CpuBandwidthProbe.Get(threads, cacheDirectory, out var how), how);
            var (gpuBandwidth, gpuSource) = Bandwidths.FromGpuPeak(context.PeakMemoryBandwidth(), gpu.Name);
            var prediction = DecodeSpeedModel.Predict(plan, new Bandwidths(cpuBandwidth, cpuSource, gpuBandwidth, gpuSource));
            var decision = new PlacementDecision(DeviceChoice.Cuda)
            {
                Placement = plan.AllOnGpu ? null : plan.Placement,
                Usage = usage,
                UsagePath = usagePath,
                Plan = plan,
                Summary = plan.Summary(prediction),
                Note = plan.Notes.Count > 0 ? string.Join("; ", plan.Notes) : null,
            };
            decision._context = context;
            context = null;
            return decision;
        }
        finally { context?.Dispose(); }
    }

    /// <summary>Saves the router counts for the next plan, when this run counted any (errors are swallowed: a cache that
    /// cannot be written only costs the next run its counts).</summary>
    public static void SaveUsage(ExpertUsage? usage, string? path, string modelName, long fileSize)
    {
        if (usage is null || path is null || usage.TotalPicks == 0) return;
        try { ExpertUsageStore.Save(path, usage, modelName, fileSize); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Releases the CUDA context held since the probe (after the predictor made its own).</summary>
    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
    }
}
