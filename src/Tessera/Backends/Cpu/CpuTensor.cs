// A backend tensor in host memory: a managed array of floats, halves or ints, row-major, allocated on the pinned object
// heap so that the kernels can hold raw pointers to it across a parallel op without pinning on every call. A view of the
// first rows of another tensor shares its array, which is then longer than the view: code that takes the array whole
// bounds it by ElementCount.

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

    // The first `rows` rows of `parent`, sharing its array.
    private CpuTensor(CpuTensor parent, int rows) : base(parent.Type, rows, parent.Columns, Device.Cpu)
    {
        (_f32, _f16, _i32) = (parent._f32, parent._f16, parent._i32);
    }

    /// <summary>The first <paramref name="rows"/> rows of this tensor, sharing its array (nothing copied).</summary>
    public CpuTensor ViewRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Rows);
        return new CpuTensor(this, rows);
    }

    /// <summary>The array holding the values of an F32 tensor (a view's is its parent's: use the first
    /// <see cref="BackendTensor.ElementCount"/>).</summary>
    public float[] F32 => _f32 ?? throw WrongType(GgmlType.F32);

    /// <summary>The values of an F32 tensor, exactly.</summary>
    public Span<float> F32Values => F32.AsSpan(0, (int)ElementCount);

    /// <summary>The array holding the values of an F16 tensor (see <see cref="F32"/>).</summary>
    public Half[] F16 => _f16 ?? throw WrongType(GgmlType.F16);

    /// <summary>The values of an F16 tensor, exactly.</summary>
    public Span<Half> F16Values => F16.AsSpan(0, (int)ElementCount);

    /// <summary>The array holding the values of an I32 tensor (see <see cref="F32"/>).</summary>
    public int[] I32 => _i32 ?? throw WrongType(GgmlType.I32);

    /// <summary>The values of an I32 tensor, exactly.</summary>
    public Span<int> I32Values => I32.AsSpan(0, (int)ElementCount);

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
