// One layer's view of the KV cache: its key and value tensors, the slots the pending batch writes, the position each
// slot holds (for the attention mask) and the layer's window; a sliding-window layer's history of every position.

using Tessera.Backends;

namespace Tessera.Inference;

/// <summary>The keys and values of one layer, with the slot bookkeeping the attention op needs.</summary>
public sealed class KvCacheLayer
{
    private readonly KvCache _owner;
    private readonly KvSlotMap _map;

    internal KvCacheLayer(KvCache owner, KvSlotMap map, BackendTensor keys, BackendTensor values, int window)
    {
        _owner = owner;
        _map = map;
        Keys = keys;
        Values = values;
        Window = window;
    }

    /// <summary>Keys [slots × kvHeads·d] (F16 or F32).</summary>
    public BackendTensor Keys { get; }

    /// <summary>Values [slots × kvHeads·d] (F16 or F32).</summary>
    public BackendTensor Values { get; }

    /// <summary>A sliding-window layer's keys of every position [context × kvHeads·d], position p in row p, from which a
    /// truncation refills the ring; null for full layers and when the cache keeps no history.</summary>
    public BackendTensor? HistoryKeys { get; internal set; }

    /// <summary>Values beside <see cref="HistoryKeys"/>.</summary>
    public BackendTensor? HistoryValues { get; internal set; }

    /// <summary>Writes the pending batch's keys and values (after RoPE, as they went into the ring) into the history at
    /// their positions; nothing for a layer without one. Backend ops only, so a recorded decode step replays it.</summary>
    internal void StoreHistory(IBackend backend, BackendTensor keys, BackendTensor values)
    {
        if (HistoryKeys is null) return;
        backend.SetRows(keys, HistoryKeys, _owner.BatchPositions);
        backend.SetRows(values, HistoryValues!, _owner.BatchPositions);
    }

    /// <summary>Sliding window of this layer, or 0 for full attention.</summary>
    public int Window { get; }

    /// <summary>Slot of each token of the pending batch (written by the forward pass before attention).</summary>
    public ReadOnlySpan<int> BatchSlots => _map.BatchSlots;

    /// <summary>Position held by each slot in use (−1: empty); attention looks at these slots only.</summary>
    public ReadOnlySpan<int> SlotPositions => _map.Positions[..SlotsInUse];

    /// <summary>The pending batch's slots as a backend tensor (I32 [1 × MaxBatch]).</summary>
    public BackendTensor BatchSlotTensor => _map.BatchSlotTensor;

    /// <summary>Every slot's position (−1: empty) as a backend tensor (I32 [1 × slots]).</summary>
    public BackendTensor SlotPositionTensor => _map.PositionTensor;

    /// <summary>Slots that may hold a position: every slot from this one on is empty.</summary>
    public int SlotsInUse => Math.Min(_map.Capacity, _owner.Position);
}
