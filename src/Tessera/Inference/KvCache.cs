// The KV cache of a model with full and sliding-window layers, on a backend (llama.cpp's llama_kv_cache_iswa; facts §1,
// §4.2d), F16 by default as llama.cpp's, or F32. Full layers hold the context, position p in slot p. Sliding-window
// layers hold a ring of window + batch slots: a batch's keys go in before its queries attend, so the ring needs the window
// behind the batch's first query plus the batch (llama.cpp sizes its SWA cache n_swa + n_ubatch likewise). Attention reads
// only the ring, so it costs the same at any depth. Beside the ring, each sliding-window layer keeps the keys and values of
// every position in a linear history (position p in row p; 12 layers × 8 KV heads × 64 × 2 × 2 bytes ≈ 25 MB per 1,000
// tokens for gpt-oss in F16): truncating to any earlier position rebuilds the ring from it, so a prompt that diverges
// further back than the window (harmony drops the last turn's reasoning) still reuses every token before the divergence.
// After a truncation the ring holds exactly what evaluating the prefix from scratch would have left in it.

using Tessera.Backends;
using Tessera.Quants;

namespace Tessera.Inference;

/// <summary>Keys and values of every layer for the positions evaluated so far.</summary>
public sealed class KvCache : IDisposable
{
    private readonly KvSlotMap _full;
    private readonly KvSlotMap? _sliding;
    private readonly KvCacheLayer[] _layers;
    private readonly IBackend _backend;
    private readonly int[] _batchPositionValues;
    private readonly List<KvCacheLayer> _slidingLayers = [];

    /// <param name="backend">Holds the cache tensors.</param>
    /// <param name="layerWindows">Per layer: its sliding window, or 0 for full attention.</param>
    /// <param name="width">Values per position and layer: kvHeads × head size.</param>
    /// <param name="contextSize">Positions the full layers hold.</param>
    /// <param name="maxBatch">Most positions added at once.</param>
    /// <param name="type">F16 (llama.cpp's default) or F32.</param>
    /// <param name="slidingHistory">Whether sliding-window layers whose ring is shorter than the context also keep every
    /// position's keys and values, so that <see cref="Truncate"/> can go back to any position (default). Without it a
    /// truncation further back than the ring reaches clears the cache.</param>
    public KvCache(IBackend backend, IReadOnlyList<int> layerWindows, int width, int contextSize, int maxBatch, GgmlType type = GgmlType.F16,
        bool slidingHistory = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (type is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"the KV cache holds F16 or F32, not {type}", nameof(type));
        var windows = layerWindows.Where(w => w > 0).Distinct().ToArray();
        if (windows.Length > 1)
            throw new ArgumentException($"layers use different sliding windows ({string.Join(", ", windows)})", nameof(layerWindows));

        ContextSize = contextSize;
        MaxBatch = Math.Min(maxBatch, contextSize);
        Type = type;
        _backend = backend;
        _layers = new KvCacheLayer[layerWindows.Count];
        _batchPositionValues = new int[MaxBatch];
        _full = new KvSlotMap(backend, contextSize, ring: false, MaxBatch);
        try
        {
            if (windows.Length == 1)
            {
                SlidingWindow = windows[0];
                int ring = (int)Math.Min((long)SlidingWindow + MaxBatch, contextSize);
                _sliding = new KvSlotMap(backend, ring, ring: ring < contextSize, MaxBatch);
            }
            BatchPositions = backend.NewTensor(GgmlType.I32, 1, MaxBatch);

            for (int il = 0; il < _layers.Length; il++)
            {
                var map = layerWindows[il] > 0 ? _sliding! : _full;
                _layers[il] = new KvCacheLayer(this, map, backend.NewTensor(type, map.Capacity, width), backend.NewTensor(type, map.Capacity, width), layerWindows[il]);
                if (map.IsRing && slidingHistory)
                {
                    _layers[il].HistoryKeys = backend.NewTensor(type, contextSize, width);
                    _layers[il].HistoryValues = backend.NewTensor(type, contextSize, width);
                    _slidingLayers.Add(_layers[il]);
                }
            }
            TruncatesAnywhere = _slidingLayers.Count > 0 || _sliding is not { IsRing: true };
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Positions the cache can hold.</summary>
    public int ContextSize { get; }

    /// <summary>Most positions one <see cref="Append"/> may add.</summary>
    public int MaxBatch { get; }

    /// <summary>Element type of the stored keys and values.</summary>
    public GgmlType Type { get; }

    /// <summary>Window of the sliding-window layers (0 if there are none).</summary>
    public int SlidingWindow { get; }

    /// <summary>Slots of each sliding-window layer's ring (0 if there are none).</summary>
    public int SlidingWindowSlots => _sliding?.Capacity ?? 0;

    /// <summary>Whether <see cref="Truncate"/> keeps any prefix: the sliding-window layers keep every position beside
    /// their ring, or their ring spans the whole context (then nothing is ever overwritten).</summary>
    public bool TruncatesAnywhere { get; }

    /// <summary>Positions of the pending batch (Position − count .. Position − 1 after <see cref="Append"/>), I32 [1 × MaxBatch].</summary>
    public BackendTensor BatchPositions { get; } = null!;

    /// <summary>Positions evaluated so far; the next token gets this position.</summary>
    public int Position { get; private set; }

    /// <summary>Layer <paramref name="layer"/>'s view of the cache.</summary>
    public KvCacheLayer Layer(int layer) => _layers[layer];

    /// <summary>Claims slots for <paramref name="count"/> new positions (Position..Position+count−1) in every layer; the
    /// forward pass then writes their keys and values (<see cref="KvCacheLayer.BatchSlots"/>).</summary>
    /// <exception cref="ContextOverflowException">They do not fit in the context.</exception>
    public void Append(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (count > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(count), $"at most {MaxBatch} positions can be added at once, not {count}");
        if ((long)Position + count > ContextSize)
            throw new ContextOverflowException(Position + count, ContextSize);
        _full.Append(Position, count);
        _sliding?.Append(Position, count);
        for (int i = 0; i < count; i++) _batchPositionValues[i] = Position + i;
        _backend.Write(_batchPositionValues.AsSpan(0, count), BatchPositions);
        Position += count;
    }

    /// <summary>Forgets positions from <paramref name="position"/> on. Returns the positions kept: <paramref name="position"/>
    /// (or <see cref="Position"/> if that is smaller). Without <see cref="TruncatesAnywhere"/>, 0 when a sliding-window
    /// ring no longer holds the window behind <paramref name="position"/> (then everything must be evaluated again).</summary>
    public int Truncate(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (position >= Position)
            return Position;
        if (_sliding is { IsRing: true } ring)
        {
            if (!TruncatesAnywhere && Position > ring.Capacity && position - SlidingWindow + 1 < Position - ring.Capacity)
                position = 0;
            ring.Truncate(position);
            if (TruncatesAnywhere) RefillRing(ring, position);
        }
        else
            _sliding?.Truncate(position);
        _full.Truncate(position);
        Position = position;
        return position;
    }

    // Puts back into the ring the positions before `end` that evaluating up to `end` from scratch would have left there
    // (the last ring-capacity ones) and that later positions overwrote: from the history, one or two runs of slots.
    private void RefillRing(KvSlotMap ring, int end)
    {
        int capacity = ring.Capacity;
        for (int p = Math.Max(0, end - capacity); p < end;)
        {
            int slot = p % capacity, count = 0;
            while (p + count < end && slot + count < capacity && ring.Positions[slot + count] != p + count) count++;
            if (count == 0) { p++; continue; }   // still in place
            foreach (var layer in _slidingLayers)
            {
                _backend.CopyRows(layer.HistoryKeys!, p, layer.Keys, slot, count);
                _backend.CopyRows(layer.HistoryValues!, p, layer.Values, slot, count);
            }
            ring.Restore(p, count);
            p += count;
        }
    }

    /// <summary>Forgets every position.</summary>
    public void Clear() => Truncate(0);

    public void Dispose()
    {
        _backend.ForgetSteps(this);
        foreach (var layer in _layers)
        {
            layer?.Keys.Dispose();
            layer?.Values.Dispose();
            layer?.HistoryKeys?.Dispose();
            layer?.HistoryValues?.Dispose();
        }
        _full.Dispose();
        _sliding?.Dispose();
        BatchPositions?.Dispose();
    }
}
