// What the user asked to run on (`--device`): the GPU when one can be used, the CPU, or CUDA only.

namespace Tessera.Backends;

/// <summary>Which backend to run a model on.</summary>
public enum DeviceChoice
{
    /// <summary>A CUDA GPU when one can be used, otherwise the CPU (with a one-line notice saying why).</summary>
    Auto,
    /// <summary>The CPU backend.</summary>
    Cpu,
    /// <summary>The CUDA backend; an error saying why when no GPU can be used.</summary>
    Cuda,
}
