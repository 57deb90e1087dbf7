// The kinds of device a weight or a buffer can live on: host memory (the CPU backend) or an NVIDIA GPU (the CUDA backend).

namespace Tessera.Backends;

/// <summary>A kind of compute device.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed by <see cref="Cpu.CpuBackend"/>.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU, computed by <see cref="Cuda.CudaBackend"/>.</summary>
    Cuda,
}
