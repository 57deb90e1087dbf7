// Predicted decode time per token for a placement: decode is bound by memory reads, so each device's time is the bytes
// it reads divided by its bandwidth. Per block: attention and router where their weights are; the experts the router
// picks (k of them, expert e with its share of the block's picks: k × Σ share over a set is that set's expected reads)
// on the GPU and on the CPU at the same time, so the slower of the two counts, plus one synchronisation between the
// devices; plus the small kernels every GPU block runs whatever their bytes, and in a hybrid run (no CUDA graph: a
// synchronisation per block empties the GPU's queue) the launches. Blocks and head in RAM read their weights on the CPU.

using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera.Placement;

/// <summary>Predicts decode tokens/s from the bytes each device reads per token.</summary>
public static class DecodeSpeedModel
{
    /// <summary>One exchange between GPU and CPU in a block (activations down, expert outputs up, each side waiting on
    /// the other): about 40 µs with page-locked buffers and async copies.</summary>
    public const double SyncSeconds = 40e-6;

    /// <summary>Kernels launched per block in a hybrid run.</summary>
    public const int KernelLaunchesPerBlock = 10;

    /// <summary>Host cost of one kernel launch outside a CUDA graph.</summary>
    public const double LaunchSeconds = 4e-6;

    /// <summary>The small kernels of a GPU block (two norms, RoPE and store, attention and its combine, router and top-k,
    /// residual add) take 3-6 µs each whatever they read: 36 µs a block under ncu (docs/cuda-backend.md).</summary>
    public const double SmallKernelsSecondsPerBlock = 36e-6;

    /// <summary>The prediction for <paramref name="plan"/> (its routing: counted or uniform) at a KV depth of
    /// <paramref name="kvDepth"/> positions, by default half the context.</summary>
    public static DecodePrediction Predict(PlacementPlan plan, Bandwidths bandwidths, int? kvDepth = null) =>
        Predict(plan.Model, plan.Placement, bandwidths, kvDepth ?? plan.Options.ContextSize / 2,
            plan.CountedPicks > 0 ? plan.Options.Usage : null, plan.Options.KvCacheType);

    /// <summary>The prediction for <paramref name="placement"/> with routing <paramref name="usage"/> (null: uniform) and
    /// <paramref name="kvDepth"/> positions in the cache.</summary>
    public static DecodePrediction Predict(ModelTensors model, TensorPlacement placement, Bandwidths bandwidths, int kvDepth,
        ExpertUsage? usage = null, GgmlType kvType = GgmlType.F16)
    {
        var hp = model.HyperParameters;
        double gpuBw = bandwidths.GpuBytesPerSecond, cpuBw = bandwidths.CpuBytesPerSecond;
        bool anyGpu = Enumerable.Range(0, hp.BlockCount).Any(il => placement.GpuExpertCount(il) > 0)
            || model.Tensors.Any(t => t.Name != GptOssTensorNames.TokenEmbedding && placement.DeviceOf(t.Name) != Device.Cpu);
        bool hybrid = anyGpu && !placement.AllOnGpu(model.Tensors.Select(t => t.Name));
        double seconds = 0, overhead = 0, gpuBytes = 0, cpuBytes = 0;
        bool? streamOnGpu = null;   // the embedding row is looked up on the host and goes wherever block 0 is, with the step's inputs

        void Move(bool toGpu)
        {
            if (streamOnGpu is { } onGpu && onGpu != toGpu) overhead += SyncSeconds;
            streamOnGpu = toGpu;
        }

        for (int il = 0; il < hp.BlockCount; il++)
        {
            double gpuDense = 0, cpuDense = 0;
            foreach (var t in model.Tensors.Where(t => t.Block == il && !t.IsExpert))
            {
                if (placement.DeviceOf(t.Name) != Device.Cpu) gpuDense += VramModel.WeightBytes(t);
                else cpuDense += t.Bytes;
            }
            double kv = KvReadBytes(hp, il, kvDepth, kvType);
            if (placement.AttentionDevice(il) != Device.Cpu) gpuDense += kv;
            else cpuDense += kv;

            double gpuShare = 0, cpuShare = 0;
            var gpuSet = placement.GpuExperts(il);
            for (int e = 0; e < hp.ExpertCount; e++)
            {
                double share = usage?.Share(il, e) ?? 1.0 / hp.ExpertCount;
                if (gpuSet[e]) gpuShare += share;
                else cpuShare += share;
            }
            long expertBytes = VramModel.ExpertBytes(model, il);
            double gpuExperts = hp.ExpertUsedCount * gpuShare * expertBytes, cpuExperts = hp.ExpertUsedCount * cpuShare * expertBytes;

            bool gpuWork = gpuDense > 0 || gpuExperts > 0, cpuWork = cpuDense > 0 || cpuExperts > 0;
            Move(toGpu: placement.AttentionDevice(il) != Device.Cpu);
            double expertSeconds = gpuExperts > 0 && cpuExperts > 0
                ? Math.Max(Time(gpuExperts, gpuBw), Time(cpuExperts, cpuBw))
                : Time(gpuExperts, gpuBw) + Time(cpuExperts, cpuBw);
            seconds += Time(gpuDense, gpuBw) + Time(cpuDense, cpuBw) + expertSeconds;
            if (gpuWork && cpuWork) overhead += SyncSeconds;
            if (gpuWork) overhead += SmallKernelsSecondsPerBlock + (hybrid ? KernelLaunchesPerBlock * LaunchSeconds : 0);
            streamOnGpu = gpuWork;
            gpuBytes += gpuDense + gpuExperts;
            cpuBytes += cpuDense + cpuExperts;
        }

        foreach (var t in model.Tensors.Where(t => t.Block is null && t.Name != GptOssTensorNames.TokenEmbedding))
        {
            bool onGpu = placement.DeviceOf(t.Name) != Device.Cpu;
            if (t.Name == GptOssTensorNames.Output) Move(onGpu);
            if (onGpu) gpuBytes += VramModel.WeightBytes(t);
            else cpuBytes += t.Bytes;
            seconds += onGpu ? Time(VramModel.WeightBytes(t), gpuBw) : Time(t.Bytes, cpuBw);
        }

        return new DecodePrediction
        {
            SecondsPerToken = seconds + overhead,
            GpuBytesPerToken = gpuBytes,
            CpuBytesPerToken = cpuBytes,
            OverheadSeconds = overhead,
            KvDepth = kvDepth,
            Bandwidths = bandwidths,
        };
    }

    // A device that reads nothing takes no time, whatever its bandwidth (0 when it is not there to measure).
    private static double Time(double bytes, double bandwidth) => bytes == 0 ? 0 : bytes / bandwidth;

    /// <summary>Bytes of keys and values block <paramref name="layer"/> reads for one token at <paramref name="depth"/>
    /// positions: all of them, or the window for a sliding-window block.</summary>
    public static double KvReadBytes(GptOssHyperParameters hp, int layer, int depth, GgmlType kvType = GgmlType.F16)
    {
        long slots = GptOssHyperParameters.IsSlidingWindowLayer(layer) ? Math.Min(depth, hp.SlidingWindow) : depth;
        return (double)slots * VramModel.KvSlotBytes(hp, kvType);
    }
}
