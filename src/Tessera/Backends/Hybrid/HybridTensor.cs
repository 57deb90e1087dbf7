// A tensor of the hybrid backend: a host copy and a GPU copy, each made when an op on that side first needs it, and which
// of them holds the current values. An op on the CPU makes the host copy current (reading the GPU's back if it is newer)
// and, when it writes, leaves the GPU copy stale; an op on the GPU the reverse. So values cross the bus only where the
// placement changes device, and a tensor only one side ever touches (the KV cache of a CPU block) exists only there.

using Tessera.Backends.Cpu;
using Tessera.Backends.Cuda;
using Tessera.Quants;

namespace Tessera.Backends.Hybrid;

/// <summary>A backend tensor of <see cref="HybridBackend"/>: up to two copies, host and GPU, and which are current.</summary>
internal sealed class HybridTensor(GgmlType type, int rows, int columns, Device device) : BackendTensor(type, rows, columns, device)
{
    /// <summary>For a view (<see cref="HybridBackend.ViewRows"/>): the tensor whose first rows it is; its copies are views
    /// of that tensor's copies.</summary>
    public HybridTensor? Parent { get; init; }

    /// <summary>The host copy, once made.</summary>
    public CpuTensor? Host { get; set; }

    /// <summary>The GPU copy, once made.</summary>
    public CudaTensor? Gpu { get; set; }

    /// <summary>Whether the host copy holds the current values (a copy not made yet holds zeros, as a new tensor does).</summary>
    public bool HostCurrent { get; set; } = true;

    /// <summary>Whether the GPU copy holds the current values.</summary>
    public bool GpuCurrent { get; set; } = true;

    public override void Dispose()
    {
        Host?.Dispose();
        Gpu?.Dispose();
        (Host, Gpu) = (null, null);
        base.Dispose();
    }
}
