// A backend tensor in GPU memory: one device allocation, row-major, freed on Dispose.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

/// <summary>A row-major F32, F16 or I32 tensor in the memory of a CUDA GPU.</summary>
public sealed class CudaTensor : BackendTensor
{
    private readonly CudaContext _context;

    private readonly bool _owns;

    internal CudaTensor(CudaContext context, GgmlType type, int rows, int columns, Device device) : base(type, rows, columns, device)
    {
        _context = context;
        Bytes = ElementCount * (type == GgmlType.F16 ? 2 : 4);
        Pointer = context.Allocate(Bytes, $"a {rows} × {columns} {type} tensor");
        _owns = true;
    }

    // The first `rows` rows of `parent`, in its memory (freed with the parent, not with the view).
    private CudaTensor(CudaTensor parent, int rows) : base(parent.Type, rows, parent.Columns, parent.Device)
    {
        _context = parent._context;
        Bytes = ElementCount * parent.ElementBytes;
        Pointer = parent.Pointer;
    }

    /// <summary>The first <paramref name="rows"/> rows of this tensor, in its memory (nothing allocated).</summary>
    public CudaTensor ViewRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Rows);
        ObjectDisposedException.ThrowIf(Pointer == 0, this);
        return new CudaTensor(this, rows);
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
            if (_owns) _context.Free(Pointer, Bytes);
            Pointer = 0;
        }
        base.Dispose();
    }
}
