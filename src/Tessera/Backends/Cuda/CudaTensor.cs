// A backend tensor in GPU memory: one device allocation, row-major, freed on Dispose.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

/// <summary>A row-major F32, F16 or I32 tensor in the memory of a CUDA GPU.</summary>
public sealed class CudaTensor : BackendTensor
{
    private readonly CudaContext _context;

    internal CudaTensor(CudaContext context, GgmlType type, int rows, int columns, Device device) : base(type, rows, columns, device)
    {
        _context = context;
        Bytes = ElementCount * (type == GgmlType.F16 ? 2 : 4);
        Pointer = context.Allocate(Bytes, $"a {rows} × {columns} {type} tensor");
    }

    /// <summary>The device address of element 0.</summary>
    public ulong Pointer { get; private set; }

    /// <summary>Bytes allocated.</summary>
    public long Bytes { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementBytes => Type == GgmlType.F16 ? 2 : 4;

    /// <summary>The device address of row <paramref name="row"/>.</summary>
    public ulong RowPointer(int row) => Pointer + (ulong)((long)row * Columns * ElementBytes);

    public override void Dispose()
    {
        if (Pointer != 0)
        {
            _context.Free(Pointer, Bytes);
            Pointer = 0;
        }
        base.Dispose();
    }
}
