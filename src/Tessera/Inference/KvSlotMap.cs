// Which position each slot of a KV cache holds. A linear map puts position p in slot p; a ring puts it in slot
// p mod capacity, overwriting the oldest position. Layers of one kind share a map: they all hold the same positions.

namespace Tessera.Inference;

/// <summary>Slot bookkeeping shared by the KV caches of one kind of layer.</summary>
internal sealed class KvSlotMap
{
    private readonly int[] _positions;
    private readonly int[] _batchSlots;
    private int _batchCount;

    public KvSlotMap(int capacity, bool ring, int maxBatch)
    {
        Capacity = capacity;
        IsRing = ring;
        _positions = new int[capacity];
        _positions.AsSpan().Fill(-1);
        _batchSlots = new int[maxBatch];
    }

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
    }

    /// <summary>Empties every slot holding a position at or after <paramref name="position"/>.</summary>
    public void Truncate(int position)
    {
        foreach (ref var p in _positions.AsSpan())
            if (p >= position) p = -1;
        _batchCount = 0;
    }
}
