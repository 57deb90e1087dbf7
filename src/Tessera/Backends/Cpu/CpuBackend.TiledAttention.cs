// The fast attention path's schedule (Kernels/TiledAttention.cs): items are tiles of query rows (a few tokens × the query
// heads of one KV head, or part of them when there are too few items for the threads). A batch's tiles cover every
// chunk of keys in turn; when tiles are too few for the threads (decoding), each (tile, chunk) is an item of its own
// writing its (max, sum, values) triple, and a second pass merges the chunks of each tile in position order: split-K,
// so one token at depth 4096 keeps every thread busy. Both schedules give the same bits. Decoding allocates nothing
// once the buffers have grown.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Query rows per tile when a batch has several tokens: the block's keys and values, widened once, serve them all.
    private const int TileRows = 32;

    // Most floats the split-K triples may take (64 MB); beyond it the tiles run their chunks in turn.
    private const long MaxSplitFloats = 1L << 24;

    private int[] _orderPositions = [], _blockStarts = [], _chunkStarts = [];
    private float[] _attentionPartials = [];
    private readonly TiledAttentionWork _tiled = new();

    private void AttendInTiles(CpuTensor q, CpuTensor k, CpuTensor v, CpuTensor o, int d, int kvWidth, int group, int window,
        WeightTensor sinks, float scale, int ordered)
    {
        int tokens = q.Rows, kvHeads = kvWidth / d;
        Grow(ref _orderPositions, ordered);
        Grow(ref _blockStarts, ordered + 1);
        Grow(ref _chunkStarts, ordered + 1);
        for (int i = 0; i < ordered; i++) _orderPositions[i] = _keyPositions[_order[i]];
        int chunks = TiledAttention.Cut(_orderPositions, ordered, _blockStarts, _chunkStarts);

        // Split-K when the tiles are too few for the threads, and always for one token: then the items of one chunk (its
        // KV heads) run one after another and share the pages of its cache rows. The query heads of a KV head are split
        // only if that is still too few items (each part widens the keys and values again).
        int tileTokens = Math.Clamp(TileRows / group, 1, tokens), tiles = (tokens + tileTokens - 1) / tileTokens;
        bool split = chunks > 1 && (tokens == 1 || tiles * kvHeads < 4 * Threads);
        int parts = 1, perItem = split ? chunks : 1;
        while (parts < group && group % (parts * 2) == 0 && tiles * kvHeads * parts * perItem < 2 * Threads) parts *= 2;
        int rows = tileTokens * (group / parts), items = tiles * kvHeads * parts;
        long stateLength = TiledAttention.StateLength(rows, d);
        split &= items * chunks * stateLength <= MaxSplitFloats;

        int scratch = TiledAttention.ScratchLength(rows, d);
        if (_attentionScratch.Length < (long)scratch * Threads)
            _attentionScratch = GC.AllocateArray<float>(scratch * Threads, pinned: true);
        if (split && _attentionPartials.Length < items * chunks * stateLength)
            _attentionPartials = GC.AllocateArray<float>((int)(items * chunks * stateLength), pinned: true);

        _tiled.Set(this, q, k, v, o, d, kvWidth, group, tileTokens, parts, window, sinks, scale, chunks, scratch, stateLength);
        if (!split)
        {
            _tiled.Step = TiledAttentionWork.Steps.Attend;
            _pool.Run(_tiled, items);
            return;
        }
        _tiled.Step = TiledAttentionWork.Steps.Chunk;
        _pool.Run(_tiled, items * chunks);
        _tiled.Step = TiledAttentionWork.Steps.Finish;
        _pool.Run(_tiled, items);
    }

    private sealed class TiledAttentionWork : CpuThreadPool.IWork
    {
        public enum Steps { Attend, Chunk, Finish }

        public Steps Step;
        private AttentionTile _template;
        private CpuIsa _isa;
        private float* _queries, _output, _sinks, _scratch, _partials;
        private int* _queryPositions;
        private int _items, _tokens, _width, _headSize, _kvHeads, _group, _tileTokens, _parts, _scratchLength;
        private long _stateLength;

        public void Set(CpuBackend backend, CpuTensor q, CpuTensor k, CpuTensor v, CpuTensor o, int d, int kvWidth, int group,
            int tileTokens, int parts, int window, WeightTensor sinks, float scale, int chunks, int scratchLength, long stateLength)
        {
            _isa = backend.Isa;
            _queries = q.F32Pointer;
            _output = o.F32Pointer;
            _sinks = (float*)sinks.SliceAddress(0);
            _scratch = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(backend._attentionScratch));
            _partials = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(backend._attentionPartials));
            _queryPositions = Pin(backend._queryPositions);
            _tokens = q.Rows;
            _items = (q.Rows + tileTokens - 1) / tileTokens * (kvWidth / d) * parts;
            _width = q.Columns;
            _headSize = d;
            _kvHeads = kvWidth / d;
            _group = group;
            _tileTokens = tileTokens;
            _parts = parts;
            _scratchLength = scratchLength;
            _stateLength = stateLength;
            bool half = k.Type == Quants.GgmlType.F16;
            _template = new AttentionTile
            {
                QueryStride = q.Columns,
                Heads = group / parts,
                HeadSize = d,
                Scale = scale,
                Window = window,
                Keys = half ? k.F16Pointer : k.F32Pointer,
                Values = half ? v.F16Pointer : v.F32Pointer,
                HalfCache = half,
                RowWidth = kvWidth,
                Order = Pin(backend._order),
                OrderPositions = Pin(backend._orderPositions),
                BlockStarts = Pin(backend._blockStarts),
                ChunkStarts = Pin(backend._chunkStarts),
                Chunks = chunks,
            };
        }

        public void Execute(int item, int thread)
        {
            int chunk = 0;
            if (Step == Steps.Chunk)
            {
                chunk = item / _items;
                item %= _items;
            }
            int part = item % _parts, kvHead = item / _parts % _kvHeads, tile = item / (_parts * _kvHeads);
            int firstToken = tile * _tileTokens, firstHead = kvHead * _group + part * _template.Heads;
            var a = _template;
            a.Tokens = Math.Min(_tileTokens, _tokens - firstToken);
            a.Queries = _queries + (long)firstToken * _width + firstHead * _headSize;
            a.Output = _output + (long)firstToken * _width + firstHead * _headSize;
            a.QueryPositions = _queryPositions + firstToken;
            a.Sinks = _sinks + firstHead;
            a.HeadOffset = kvHead * _headSize;
            a.Scratch = _scratch + (long)thread * _scratchLength;
            float* states = _partials + (long)item * a.Chunks * _stateLength;
            switch (Step)
            {
                case Steps.Attend: TiledAttention.Attend(_isa, a); break;
                case Steps.Chunk: TiledAttention.AttendChunk(_isa, a, chunk, states + chunk * _stateLength); break;
                default: TiledAttention.Finish(_isa, a, states, a.Chunks, _stateLength); break;
            }
        }
    }
}
