// Attention on the CPU: YaRN RoPE and attention with sinks over the KV cache. RoPE tables are computed once per position
// and kept (the same for every layer). Attention takes the fast tiled path by default (CpuBackend.TiledAttention.cs);
// with ExactAttention it reproduces ggml's bits as follows. It runs one item per token and KV head (its group of query
// heads, split further when there are fewer items than threads); an F16 cache is read in place by F16KvAttention, which
// rounds the queries to F16 as ggml converts Q to the keys' type (gpt-oss-facts.md §4, precision notes). Keys are visited
// in position order whatever slots they sit in, so a ring that has wrapped gives the same bits as a linear cache (and as
// llama.cpp's cache, whose cells are in position order for one sequence without wrapping). An F32 cache takes the scalar
// reference.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private YarnRope? _rope;
    private float[] _ropeTable = [];    // [positions × d]: cos·m of the d/2 pairs, then sin·m
    private bool[] _ropeReady = [];
    private int[] _order = [], _orderKeys = [], _queryPositions = [], _keyPositions = [];
    private float[] _attentionScratch = [];
    private readonly AttentionWork _attention = new();

    /// <inheritdoc/>
    public void Rope(BackendTensor x, BackendTensor positionTensor, YarnRope rope)
    {
        using var timer = new CpuProfile.Timer(_profile, "Rope");
        var t = Own(x);
        var positions = Indices(positionTensor, t.Rows, "positions");
        int d = rope.Dimensions;
        if (t.Columns % d != 0)
            throw new ArgumentException($"{t} is not made of heads of {d} values");
        for (int r = 0; r < t.Rows; r++)
        {
            var table = RopeTable(rope, positions[r]);
            F32Rope.Row(Isa, t.Row(r), d, table[..(d / 2)], table[(d / 2)..]);
        }
    }

    // cos·m, sin·m of every pair at `position`, computed on first use (YarnRope.CosSin, de-interleaved).
    private ReadOnlySpan<float> RopeTable(YarnRope rope, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        int d = rope.Dimensions;
        if (!ReferenceEquals(rope, _rope))
        {
            _rope = rope;
            _ropeReady.AsSpan().Clear();
        }
        if (position >= _ropeReady.Length)
        {
            int capacity = Math.Max(position + 1, Math.Max(1024, _ropeReady.Length * 2));
            Array.Resize(ref _ropeReady, capacity);
            Array.Resize(ref _ropeTable, capacity * d);
        }
        var table = _ropeTable.AsSpan(position * d, d);
        if (!_ropeReady[position])
        {
            Span<float> interleaved = stackalloc float[d];
            rope.CosSin(position, interleaved);
            for (int i = 0; i < d / 2; i++)
            {
                table[i] = interleaved[2 * i];
                table[d / 2 + i] = interleaved[2 * i + 1];
            }
            _ropeReady[position] = true;
        }
        return table;
    }

    /// <inheritdoc/>
    public void Attention(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor queryPositionTensor,
        BackendTensor keyPositionTensor, int keyCount, int window, WeightTensor sinks, float scale, BackendTensor output,
        bool slotsByPosition = false)
    {
        // slotsByPosition is not used: the CPU looks at slots 0 .. keyCount − 1, as llama.cpp does, for its bits.
        using var timer = new CpuProfile.Timer(_profile, window > 0 ? "Attention (sliding window)" : "Attention (full)");
        var (q, k, v, o) = (Own(queries), Own(keys), Own(values), Own(output));
        var queryPositions = Indices(queryPositionTensor, q.Rows, "query positions");
        var keyPositions = Indices(keyPositionTensor, keyCount, "key positions");
        int heads = sinks.RowLength, tokens = q.Rows, slots = keyPositions.Length;
        if (q.Columns % heads != 0)
            throw new ArgumentException($"queries {q} do not split into {heads} heads");
        int d = q.Columns / heads, kvWidth = k.Columns;
        if (kvWidth % d != 0 || heads % (kvWidth / d) != 0 || v.Columns != kvWidth || v.Type != k.Type || slots > k.Rows || k.Rows != v.Rows)
            throw new ArgumentException($"keys {k} and values {v} do not fit queries {q} with {heads} heads of {d}");
        RequireRows(q, queryPositions.Length);
        RequireSameShape(q, o);
        int kvHeads = kvWidth / d, group = heads / kvHeads;

        Grow(ref _queryPositions, tokens);
        Grow(ref _keyPositions, slots);
        queryPositions.CopyTo(_queryPositions);
        keyPositions.CopyTo(_keyPositions);
        int ordered = PositionOrder(keyPositions);

        if (!ExactAttention)
        {
            AttendInTiles(q, k, v, o, d, kvWidth, group, window, sinks, scale, ordered);
            return;
        }
        if (k.Type != GgmlType.F16)
        {
            AttentionF32Cache(q, k, v, o, d, kvWidth, group, window, sinks, scale, ordered);
            return;
        }

        // Items: (token, KV head, part of its query heads); parts only when there are too few items for the threads.
        int parts = 1;
        while (parts < group && group % (parts * 2) == 0 && tokens * kvHeads * parts < 2 * Threads) parts *= 2;
        int scratch = F16KvAttention.ScratchLength(group / parts, d);
        if (_attentionScratch.Length < scratch * Threads)
            _attentionScratch = GC.AllocateArray<float>(scratch * Threads, pinned: true);
        _attention.Set(this, q, k, v, o, d, kvWidth, group, parts, window, sinks, scale, ordered, scratch);
        _pool.Run(_attention, tokens * kvHeads * parts);
    }

    // Fills _order with the used slots in position order; returns how many. A linear cache or a ring is already in order
    // from its oldest slot, found in one pass; anything else is sorted.
    private int PositionOrder(ReadOnlySpan<int> positions)
    {
        Grow(ref _order, positions.Length);
        int oldest = -1, count = 0;
        for (int s = 0; s < positions.Length; s++)
        {
            if (positions[s] < 0) continue;
            count++;
            if (oldest < 0 || positions[s] < positions[oldest]) oldest = s;
        }
        int n = 0, previous = -1;
        for (int j = 0, s = oldest; j < positions.Length && count > 0; j++, s = s + 1 == positions.Length ? 0 : s + 1)
        {
            if (positions[s] < 0) continue;
            if (positions[s] <= previous) { n = -1; break; }
            previous = positions[s];
            _order[n++] = s;
        }
        if (n == count) return count;

        Grow(ref _orderKeys, positions.Length);
        n = 0;
        for (int s = 0; s < positions.Length; s++)
            if (positions[s] >= 0)
            {
                _orderKeys[n] = positions[s];
                _order[n++] = s;
            }
        _orderKeys.AsSpan(0, n).Sort(_order.AsSpan(0, n));
        return n;
    }

    // The scalar reference kernel over an F32 cache, read in place (F32 caches are not the default).
    private void AttentionF32Cache(CpuTensor q, CpuTensor k, CpuTensor v, CpuTensor o, int d, int kvWidth, int group, int window,
        WeightTensor sinks, float scale, int ordered)
    {
        int heads = q.Columns / d, slots = _keyPositions.Length;
        var sink = sinks.F32Row();
        for (int t = 0; t < q.Rows; t++)
            for (int h = 0; h < heads; h++)
                AttentionWithSinks.F32(q.Row(t).Slice(h * d, d), k.F32, v.F32, kvWidth, h / group * d, _order.AsSpan(0, ordered),
                    _keyPositions, _queryPositions[t], window, sink[h], scale, halfAccumulator: false, o.Row(t).Slice(h * d, d));
    }

    private sealed class AttentionWork : CpuThreadPool.IWork
    {
        private AttentionGroup _template;
        private CpuIsa _isa;
        private float* _queries, _output, _sinks, _scratch;
        private int* _queryPositions;
        private int _width, _headSize, _kvHeads, _group, _parts, _scratchLength;

        public void Set(CpuBackend backend, CpuTensor q, CpuTensor k, CpuTensor v, CpuTensor o, int d, int kvWidth, int group, int parts,
            int window, WeightTensor sinks, float scale, int ordered, int scratchLength)
        {
            _isa = backend.Isa;
            _queries = q.F32Pointer;
            _output = o.F32Pointer;
            _sinks = (float*)sinks.SliceAddress(0);
            _scratch = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(backend._attentionScratch));
            _queryPositions = Pin(backend._queryPositions);
            _width = q.Columns;
            _headSize = d;
            _kvHeads = kvWidth / d;
            _group = group;
            _parts = parts;
            _scratchLength = scratchLength;
            _template = new AttentionGroup
            {
                Heads = group / parts,
                HeadSize = d,
                Keys = k.F16Pointer,
                Values = v.F16Pointer,
                RowWidth = kvWidth,
                Order = Pin(backend._order),
                OrderLength = ordered,
                KeyPositions = Pin(backend._keyPositions),
                Window = window,
                Scale = scale,
            };
        }

        public void Execute(int item, int thread)
        {
            int part = item % _parts, kvHead = item / _parts % _kvHeads, token = item / (_parts * _kvHeads);
            int firstHead = kvHead * _group + part * _template.Heads;
            var a = _template;
            a.Queries = _queries + (long)token * _width + firstHead * _headSize;
            a.Output = _output + (long)token * _width + firstHead * _headSize;
            a.HeadOffset = kvHead * _headSize;
            a.QueryPosition = _queryPositions[token];
            a.Sinks = _sinks + firstHead;
            a.Scratch = _scratch + (long)thread * _scratchLength;
            F16KvAttention.Group(_isa, a);
        }
    }
}
