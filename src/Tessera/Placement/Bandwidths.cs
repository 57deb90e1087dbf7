// The memory bandwidths the decode-speed model divides by, and where each came from (said in `tessera plan`): the CPU's
// from a short probe on this machine (cached) or the user, the GPU's from the driver's peak times the share of it that
// Tessera's decode kernels reach, or an assumption when there is no GPU to ask.

namespace Tessera.Placement;

/// <summary>Effective read bandwidths of the CPU and the GPU, in bytes per second, with their sources in words.</summary>
public sealed record Bandwidths(double CpuBytesPerSecond, string CpuSource, double GpuBytesPerSecond, string GpuSource)
{
    /// <summary>The share of the GPU's peak bandwidth decode reaches: Tessera's decode products ran at 23-42% of an H100's
    /// peak under ncu, small kernels aside (docs/cuda-backend.md, "Where a decode step's time goes").</summary>
    public const double GpuEfficiency = 0.35;

    /// <summary>The share of the probe's read bandwidth the CPU expert kernels reach while they decode MXFP4 and multiply.</summary>
    public const double CpuEfficiency = 0.75;

    /// <summary>The GPU peak assumed when there is no GPU to ask: a mid-range 8 GB card (an RTX 4060 has 272 GB/s, an
    /// RTX 3070 448).</summary>
    public const double AssumedGpuPeak = 360e9;

    /// <summary>The GPU's effective bandwidth from its peak (the driver's memory clock × bus width).</summary>
    public static (double BytesPerSecond, string Source) FromGpuPeak(double peak, string gpuName) =>
        (peak * GpuEfficiency, $"{gpuName}: driver's peak {peak / 1e9:F0} GB/s × {GpuEfficiency} (decode kernels' measured share)");

    /// <summary>The assumed GPU, said as an assumption.</summary>
    public static (double BytesPerSecond, string Source) AssumedGpu() =>
        (AssumedGpuPeak * GpuEfficiency, $"assumed: no GPU here to ask; a peak of {AssumedGpuPeak / 1e9:F0} GB/s × {GpuEfficiency} (give --gpu-bandwidth)");

    /// <summary>The CPU's effective bandwidth from a probe's read bandwidth.</summary>
    public static (double BytesPerSecond, string Source) FromCpuProbe(double probe, string how) =>
        (probe * CpuEfficiency, $"{how}: read {probe / 1e9:F1} GB/s × {CpuEfficiency} (expert kernels' share)");
}
