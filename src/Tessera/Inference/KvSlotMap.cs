// Which position each slot of a KV cache holds. A linear map puts position p in slot p; a ring puts it in slot
// p mod capacity, overwriting the oldest position. Layers of one kind share a map: they all hold the same positions.
// The map keeps a copy of its slot positions and of the pending batch's slots in I32 backend tensors (on the GPU for a
// GPU backend), updated with each change: only the slots that changed are written.

using Tessera.Backends;
using Tessera.Quants;

namespace Tessera.Inference;

/// <summary>Slot bookkeeping shared by the KV caches of one kind of layer.</summary>
internal sealed class KvSlotMap : IDisposable
{
    private readonly IBackend _backend;
    private readonly int[] _positions;
    private readonly int[] _batchSlots;
    private int _batchCount;

    public KvSlotMap(IBackend backend, int capacity, bool ring, int maxBatch)
    {
        _backend = backend;
        Capacity = capacity;
        IsRing = ring;
        _positions = new int[capacity];
        _positions.AsSpan().Fill(-1);
        _batchSlots = new int[maxBatch];
        PositionTensor = backend.NewTensor(GgmlType.I32, 1, capacity);
        try
        {
            BatchSlotTensor = backend.NewTensor(GgmlType.I32, 1, maxBatch);
            backend.Write(_positions, PositionTensor);
        }
        catch
        {
            PositionTensor.Dispose();
            BatchSlotTensor?.Dispose();
            throw;
        }
    }

    /// <summary>The slot positions as an I32 [1 × capacity] backend tensor.</summary>
    public BackendTensor PositionTensor { get; }

    /// <summary>The pending batch's slots as an I32 [1 × maxBatch] backend tensor (first batch-count entries valid).</summary>
    public BackendTensor BatchSlotTensor { get; }

    /// <summary>Slots in the cache.</summary>
    public int Capacity { get; }

    /// <summary>Whether positions wrap around (sliding-window layers).</summary>
    public bool IsRing { get; }

    /// <summary>Position held by each slot (−1: empty).</summary>
    public ReadOnlySpan<int> Positions => _positions;

    /// <summary>Slots the pending batch writes, one per token.</summary>
    public ReadOnlySpan<int> BatchSlots => _batchSlots.AsSpan(0, _batchCount);

    /// <summary>Assigns slots to positions first..first+count−1.</summary>
    public void Append(int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int p = first + i;
            int slot = IsRing ? p % Capacity : p;
            _positions[slot] = p;
            _batchSlots[i] = slot;
        }
        _batchCount = count;
        _backend.Write(_batchSlots.AsSpan(0, count), BatchSlotTensor);
        // The changed slots: one run, or two when the ring wraps.
        int start = _batchSlots[0], end = _batchSlots[count - 1];
        if (end >= start)
            _backend.Write(_positions.AsSpan(start, end - start + 1), PositionTensor, start);
        else
        {
            _backend.Write(_positions.AsSpan(start), PositionTensor, start);
            _backend.Write(_positions.AsSpan(0, end + 1), PositionTensor, 0);
        }
    }

    /// <summary>Marks slots first mod capacity.. (one run, not wrapping) as holding positions first..first+count−1 again,
    /// after their keys and values were copied back in.</summary>
    public void Restore(int first, int count)
    {
        int slot = first % Capacity;
        if (count <= 0 || slot + count > Capacity)
            throw new ArgumentOutOfRangeException(nameof(count), $"slots {slot}+{count} are not one run of {Capacity}");
        for (int i = 0; i < count; i++) _positions[slot + i] = first + i;
        _backend.Write(_positions.AsSpan(slot, count), PositionTensor, slot);
    }

    /// <summary>Empties every slot holding a position at or after <paramref name="position"/>.</summary>
    public void Truncate(int position)
    {
        bool changed = false;
        foreach (ref var p in _positions.AsSpan())
            if (p >= position) { p = -1; changed = true; }
        _batchCount = 0;
        if (changed) _backend.Write(_positions, PositionTensor);
    }

    public void Dispose()
    {
        PositionTensor.Dispose();
        BatchSlotTensor.Dispose();
    }
}
