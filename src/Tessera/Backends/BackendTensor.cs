// A 2-D buffer a backend owns: activations (F32), the KV cache (F16 or F32) or indices such as chosen experts (I32).
// Row-major [Rows × Columns]; in the forward pass a row is one token (or one token's expert slot). A backend only accepts
// its own tensors, so a GPU backend can keep everything in device memory between ops.

using Tessera.Quants;

namespace Tessera.Backends;

/// <summary>A row-major [<see cref="Rows"/> × <see cref="Columns"/>] tensor held by a backend.</summary>
public abstract class BackendTensor : IDisposable
{
    protected BackendTensor(GgmlType type, int rows, int columns, Device device)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.I32))
            throw new ArgumentException($"backend tensors are F32, F16 or I32, not {type}", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Type = type;
        Rows = rows;
        Columns = columns;
        Device = device;
    }

    /// <summary>Element type: F32, F16 or I32.</summary>
    public GgmlType Type { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Values per row.</summary>
    public int Columns { get; }

    /// <summary>Where the data lives.</summary>
    public Device Device { get; }

    /// <summary>Rows × Columns.</summary>
    public long ElementCount => (long)Rows * Columns;

    /// <summary>[Rows × Columns] TYPE, for error messages.</summary>
    public override string ToString() => $"[{Rows} × {Columns}] {Type} on {Device}";

    /// <summary>The checks every backend's CopyRows makes: same type and width, rows inside both tensors.</summary>
    internal static void CheckRowCopy(BackendTensor source, int sourceRow, BackendTensor destination, int destinationRow, int count)
    {
        if (source.Type != destination.Type || source.Columns != destination.Columns)
            throw new ArgumentException($"cannot copy rows of {source} into {destination}");
        if (sourceRow < 0 || destinationRow < 0 || count < 0 || (long)sourceRow + count > source.Rows || (long)destinationRow + count > destination.Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows {sourceRow}+{count} of {source} into {destinationRow} of {destination}");
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
