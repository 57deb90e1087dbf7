// Where a weight or a buffer lives: a device kind and its ordinal. Mixed placement (some layers or experts on a GPU,
// the rest on the CPU) assigns each WeightTensor a Device and runs each op on the backend of that device.

namespace Tessera.Backends;

/// <summary>A compute device: <see cref="Cpu"/> or the n-th GPU of a kind.</summary>
public readonly record struct Device(DeviceKind Kind, int Ordinal)
{
    /// <summary>Host memory and cores.</summary>
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0);

    /// <summary>The CUDA GPU with ordinal <paramref name="ordinal"/>.</summary>
    public static Device Cuda(int ordinal) => new(DeviceKind.Cuda, ordinal);

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"{Kind.ToString().ToLowerInvariant()}:{Ordinal}";
}
