// The kinds of device a weight or a buffer can live on. Only the CPU exists today; CUDA comes with its own backend.

namespace Tessera.Backends;

/// <summary>A kind of compute device.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed by <see cref="Cpu.CpuBackend"/>.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (not implemented yet).</summary>
    Cuda,
}
