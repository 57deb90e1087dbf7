// A backend tensor in host memory: a managed array of floats, halves or ints, row-major, allocated on the pinned object
// heap so that the kernels can hold raw pointers to it across a parallel op without pinning on every call.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>A <see cref="BackendTensor"/> in a pinned managed array.</summary>
public sealed class CpuTensor : BackendTensor
{
    private readonly float[]? _f32;
    private readonly Half[]? _f16;
    private readonly int[]? _i32;

    public CpuTensor(GgmlType type, int rows, int columns) : base(type, rows, columns, Device.Cpu)
    {
        var n = checked(rows * columns);
        switch (type)
        {
            case GgmlType.F32: _f32 = GC.AllocateArray<float>(n, pinned: true); break;
            case GgmlType.F16: _f16 = GC.AllocateArray<Half>(n, pinned: true); break;
            default: _i32 = GC.AllocateArray<int>(n, pinned: true); break;
        }
    }

    /// <summary>The values of an F32 tensor.</summary>
    public float[] F32 => _f32 ?? throw WrongType(GgmlType.F32);

    /// <summary>The values of an F16 tensor.</summary>
    public Half[] F16 => _f16 ?? throw WrongType(GgmlType.F16);

    /// <summary>The values of an I32 tensor.</summary>
    public int[] I32 => _i32 ?? throw WrongType(GgmlType.I32);

    /// <summary>Row <paramref name="row"/> of an F32 tensor.</summary>
    public Span<float> Row(int row) => F32.AsSpan(row * Columns, Columns);

    /// <summary>Row <paramref name="row"/> of an I32 tensor.</summary>
    public Span<int> IndexRow(int row) => I32.AsSpan(row * Columns, Columns);

    /// <summary>The first value of an F32 tensor (the array is pinned).</summary>
    internal unsafe float* F32Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(F32));

    /// <summary>The first value of an F16 tensor as bit patterns (the array is pinned).</summary>
    internal unsafe ushort* F16Pointer => (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(F16));

    private InvalidOperationException WrongType(GgmlType wanted) => new($"tensor {this} is not {wanted}");
}
