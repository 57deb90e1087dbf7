// The CUDA backend: every forward-pass op as one or two kernels on one stream of one GPU, weights copied to the GPU once
// (Q8_0 and MXFP4 repacked into value and scale arrays on the way), the KV cache and activations in device memory, and
// decode steps recorded as CUDA graphs so that a token costs one launch from the host. Kernels are in Kernels/*.cu,
// compiled to PTX by tools/build-ptx.sh and JIT-compiled by the driver; launchers in CudaKernels.*.cs.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Quants;

namespace Tessera.Backends.Cuda;

/// <summary>Runs the forward-pass ops on an NVIDIA GPU through the CUDA driver.</summary>
public sealed unsafe partial class CudaBackend : IBackend
{
    private const int StagingBytes = 32 << 20;

    private readonly CudaContext _context;
    private readonly bool _ownsContext;
    private readonly CudaStream _stream;
    private readonly CudaKernels _kernels;
    private readonly List<(ulong Pointer, long Bytes)> _weightMemory = [];
    private readonly Dictionary<object, CudaGraph> _steps = new(ReferenceEqualityComparer.Instance);
    private readonly List<(ulong Pointer, long Bytes)> _retired = [];
    private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);
    private int _replayKeys;   // positions in the cache of the step last replayed (the profiler's attention bytes)
    private ulong _attentionScratch, _expertScratch, _sampleScratch, _quantisedX, _routePartials, _actQuants, _normedQuants, _attentionQuants;
    private long _attentionScratchBytes, _expertScratchBytes, _sampleScratchBytes, _quantisedXBytes, _routePartialsBytes, _actQuantsBytes,
        _normedQuantsBytes, _attentionQuantsBytes;
    private readonly int* _hostResult;
    private (YarnRope Rope, ulong Table, long Bytes)? _ropeTable;
    private bool _disposed;
    private readonly CudaProfiler? _profiler;

    private CudaProfiler.Scope Profile(string op, int tokens, long bytes, Func<long>? lateBytes = null) =>
        _profiler?.Begin(_stream, tokens == 1 ? op : op + " (batch)", bytes, lateBytes) ?? default;

    // The same with a name that is only formatted when profiling (ops run hundreds of times a step).
    private CudaProfiler.Scope Profile([InterpolatedStringHandlerArgument("")] ref LazyText op, int tokens, long bytes) =>
        _profiler is null ? default : Profile(op.ToStringAndClear(), tokens, bytes);

    /// <summary>Peak memory bandwidth from the memory clock and bus width the driver reports (bytes/s).</summary>
    public double PeakMemoryBandwidth => _context.PeakMemoryBandwidth();

    /// <summary>A backend on the first GPU; throws <see cref="CudaUnavailableException"/> saying why when there is none.</summary>
    public CudaBackend() : this(CudaContext.Open(), ownsContext: true) { }

    /// <summary>A backend on an open context (not owned).</summary>
    public CudaBackend(CudaContext context) : this(context, ownsContext: false) { }

    private CudaBackend(CudaContext context, bool ownsContext)
    {
        _context = context;
        _ownsContext = ownsContext;
        try
        {
            _stream = new CudaStream(context);
            _kernels = new CudaKernels(context);
            _hostResult = (int*)context.AllocatePinned(64);
            _routeCounter = context.Allocate(256, "the router's ticket counter");
            _stream.Zero(_routeCounter, 256);
            _gateUpTickets = context.Allocate(256, "the gate-up kernel's ticket counters");
            _stream.Zero(_gateUpTickets, 256);
        }
        catch
        {
            if (ownsContext) context.Dispose();
            throw;
        }
        RecordSteps = Environment.GetEnvironmentVariable("TESSERA_CUDA_GRAPHS") is not "0";
        FuseDecodeOps = Environment.GetEnvironmentVariable("TESSERA_CUDA_FUSE") is not "0";
        FuseRoute = Environment.GetEnvironmentVariable("TESSERA_CUDA_FUSE_ROUTE") is not "0";
        ReadsHostTables = Environment.GetEnvironmentVariable("TESSERA_CUDA_HOST_TABLE") is not "0";
        if (CudaProfiler.Enabled)
        {
            _profiler = new CudaProfiler(context);
            if (!CudaProfiler.Stamps) RecordSteps = false;   // each op timed on its own
        }
    }

    /// <summary>The GPU.</summary>
    public CudaDeviceInfo GpuInfo => _context.Device;

    /// <summary>The context (memory figures, synchronisation).</summary>
    public CudaContext Context => _context;

    /// <summary>Whether decode steps (at most <see cref="CudaKernels.MatVecMaxTokens"/> rows) fuse small ops into the products
    /// next to them: an RMSNorm into the staging of the product that reads its output, the residual add after the attention
    /// output into that product, the router's top-k into the router product, RoPE, the cache store and a sliding-window
    /// layer's history stores into the Q, K, V product (TESSERA_CUDA_FUSE=0 turns it off). The results are the same bits
    /// either way.</summary>
    public bool FuseDecodeOps { get; set; }

    /// <summary>Whether, with <see cref="FuseDecodeOps"/>, one token's router (its RMSNorm, product, top-k and softmax) runs
    /// in the attention output's kernel (<see cref="CudaKernels.MatVecRoute"/>; TESSERA_CUDA_FUSE_ROUTE=0 turns it off).
    /// Its logits are summed in another order there (the RMSNorm's scale applied after the product), so they may differ
    /// from the router kernel's in the last bits.</summary>
    public bool FuseRoute { get; set; }

    /// <summary>Whether decode products of Q8_0 and MXFP4 weights quantise x to Q8_0 and multiply in integers, as
    /// llama.cpp does (TESSERA_CUDA_MV_INT8=0 turns it off; see <see cref="CudaKernels.IntegerMatVec"/>).</summary>
    public bool IntegerMatVec
    {
        get => _kernels.IntegerMatVec;
        set => _kernels.IntegerMatVec = value;
    }

    /// <summary>Whether prefill products (tensor-core GEMMs) of Q8_0 and MXFP4 weights quantise x to Q8_0 and multiply on
    /// integer tensor cores, as the CPU backend and llama.cpp's MMQ do (TESSERA_CUDA_PREFILL_INT8=0: x rounded to f16; see
    /// <see cref="CudaKernels.IntegerPrefill"/>).</summary>
    public bool IntegerPrefill
    {
        get => _kernels.IntegerPrefill;
        set => _kernels.IntegerPrefill = value;
    }

    /// <summary>Whether decode attention over an F16 cache with 64-wide heads runs on tensor cores (TESSERA_CUDA_ATTN_MMA=0:
    /// on CUDA cores; see <see cref="CudaKernels.TensorCoreDecode"/>).</summary>
    public bool TensorCoreDecode
    {
        get => _kernels.TensorCoreDecode;
        set => _kernels.TensorCoreDecode = value;
    }

    /// <summary>Whether the tensor-core decode of a sliding window over a cache laid out by position walks only the
    /// window's slots (TESSERA_CUDA_WINDOW_SLOTS=0: every slot; see <see cref="CudaKernels.WindowSlots"/>).</summary>
    public bool WindowSlots
    {
        get => _kernels.WindowSlots;
        set => _kernels.WindowSlots = value;
    }

    /// <summary>Whether a step's small input writes are applied together by one kernel (see <see cref="CudaStream.QueueInput"/>).</summary>
    public bool GatherInputs
    {
        get => _stream.GatherInputs;
        set => _stream.GatherInputs = value;
    }

    /// <summary>Input writes applied by the gathering kernel so far (for tests).</summary>
    internal long GatheredInputs => _stream.GatheredInputs;

    /// <summary>Whether the tensor-core decode of full attention over a cache laid out by position walks only the slots up
    /// to each query's position (TESSERA_CUDA_PREFIX_SLOTS=0: every slot; see <see cref="CudaKernels.PrefixSlots"/>).</summary>
    public bool PrefixSlots
    {
        get => _kernels.PrefixSlots;
        set => _kernels.PrefixSlots = value;
    }

    /// <summary>Whether the tensor-core decode requests its first keys and values before the programmatic-launch wait
    /// (TESSERA_CUDA_ATTN_EARLY=0: after it; see <see cref="CudaKernels.EarlyAttentionLoads"/>). The same bits.</summary>
    public bool EarlyAttentionLoads
    {
        get => _kernels.EarlyAttentionLoads;
        set => _kernels.EarlyAttentionLoads = value;
    }

    /// <summary>Whether an integer prefill GEMM reads x quantised once by a kernel of its own (default) or quantises it in
    /// every tile (TESSERA_CUDA_PREFILL_XQ=0; see <see cref="CudaKernels.QuantiseXOnce"/>). The same bits either way.</summary>
    public bool QuantiseXOnce
    {
        get => _kernels.QuantiseXOnce;
        set => _kernels.QuantiseXOnce = value;
    }

    /// <summary>Whether one token's expert activations are quantised once, by the gate-up kernel, for the down kernel
    /// (integer path; TESSERA_CUDA_ACT_Q8=0: each down block quantises them; see <see cref="CudaKernels.QuantiseActOnce"/>).
    /// The same bits either way.</summary>
    public bool QuantiseActOnce
    {
        get => _kernels.QuantiseActOnce;
        set => _kernels.QuantiseActOnce = value;
    }

    /// <summary>Whether one token's normalised row is quantised once, by the router's last block in the attention output's
    /// kernel, for the gate-up kernel (integer path; TESSERA_CUDA_XN_Q8=0: each gate-up block quantises it; see
    /// <see cref="CudaKernels.QuantiseNormedOnce"/>). The same bits either way.</summary>
    public bool QuantiseNormedOnce
    {
        get => _kernels.QuantiseNormedOnce;
        set => _kernels.QuantiseNormedOnce = value;
    }

    /// <summary>Whether one token's attention output is quantised once, by the attention's last kernel, for the attention
    /// output's product (integer path, Q8_0 weights; TESSERA_CUDA_ATTN_Q8=0: each of its blocks quantises it; see
    /// <see cref="CudaKernels.QuantiseAttentionOnce"/>). The same bits either way.</summary>
    public bool QuantiseAttentionOnce
    {
        get => _kernels.QuantiseAttentionOnce;
        set => _kernels.QuantiseAttentionOnce = value;
    }

    /// <summary>Product launches so far that copied x quantised by the kernel before them (tests).</summary>
    public long PreQuantisedLaunches => _kernels.PreQuantisedLaunches;

    /// <summary>Whether decode steps are recorded and replayed as CUDA graphs (TESSERA_CUDA_GRAPHS=0 turns it off).</summary>
    public bool RecordSteps { get; set; }

    /// <summary>Device memory held by weights.</summary>
    public long WeightBytes { get; private set; }

    /// <inheritdoc/>
    public Device Device { get; } = Device.Cuda(0);

    /// <inheritdoc/>
    public string Name => $"cuda, {_context.Device.Name}";

    /// <inheritdoc/>
    public BackendTensor NewTensor(GgmlType type, int rows, int columns)
    {
        var t = new CudaTensor(_context, type, rows, columns, Device);
        _stream.Zero(t.Pointer, t.Bytes);
        return t;
    }

    /// <inheritdoc/>
    public BackendTensor ViewRows(BackendTensor tensor, int rows) => Cast(tensor).ViewRows(rows);

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<float> source, BackendTensor destination)
    {
        var d = Own(destination);
        if (source.Length != d.ElementCount)
            throw new ArgumentException($"{source.Length} values for {d}");
        if (d.Type == GgmlType.F32)
        {
            if (d.Bytes <= InputRingBytes / 4)
            {
                // Small writes (a step's embedding rows) go through the page-locked ring: queued, not waited for.
                var staged = StageInput(d.Bytes);
                source.CopyTo(new Span<float>(staged, source.Length));
                _stream.QueueInput(d.Pointer, staged, d.Bytes);
                return;
            }
            fixed (float* p = source) _stream.CopyToDevice(d.Pointer, p, d.Bytes);
            return;
        }
        if (d.Type != GgmlType.F16)
            throw new ArgumentException($"cannot write floats into {d}");
        var halves = ArrayPool<Half>.Shared.Rent(source.Length);
        try
        {
            for (int i = 0; i < source.Length; i++) halves[i] = (Half)source[i];
            fixed (Half* p = halves) _stream.CopyToDevice(d.Pointer, p, d.Bytes);
            _stream.Synchronize();
        }
        finally { ArrayPool<Half>.Shared.Return(halves); }
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<int> source, BackendTensor destination, int offset = 0)
    {
        var d = Own(destination);
        if (d.Type != GgmlType.I32 || offset < 0 || offset + (long)source.Length > d.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{source.Length} integers at {offset} do not fit {d}");
        long bytes = source.Length * 4L;
        if (bytes <= InputRingBytes / 4)
        {
            // A step's inputs (a few integers each) go through page-locked memory: the copy is queued, not waited for.
            var staged = StageInput(bytes);
            source.CopyTo(new Span<int>(staged, source.Length));
            _stream.QueueInput(d.Pointer + (ulong)offset * 4, staged, bytes);
            return;
        }
        fixed (int* p = source) _stream.CopyToDevice(d.Pointer + (ulong)offset * 4, p, bytes);
    }

    private const int InputRingBytes = 1 << 20;
    private byte* _inputRing;
    private long _inputRingUsed;

    // Space in the page-locked input ring for `bytes`; when the ring is full, waits for the stream (every earlier copy out
    // of the ring is then done) and starts again at its beginning.
    private byte* StageInput(long bytes)
    {
        if (_inputRing == null) _inputRing = (byte*)_context.AllocatePinned(InputRingBytes);
        long size = (bytes + 15) & ~15L;
        if (_inputRingUsed + size > InputRingBytes)
        {
            _stream.Synchronize();
            _inputRingUsed = 0;
        }
        var p = _inputRing + _inputRingUsed;
        _inputRingUsed += size;
        return p;
    }

    // Page-locked buffer for reading results back (logits), grown as needed.
    private byte* _readBuffer;
    private long _readBufferBytes;

    private byte* ReadBuffer(long bytes)
    {
        if (bytes > _readBufferBytes)
        {
            if (_readBuffer != null) _context.FreePinned((nint)_readBuffer);
            _readBufferBytes = Math.Max(bytes, 1 << 20);
            _readBuffer = (byte*)_context.AllocatePinned(_readBufferBytes);
        }
        return _readBuffer;
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<float> destination)
    {
        var s = Own(source);
        if (destination.Length != s.ElementCount)
            throw new ArgumentException($"{destination.Length} values for {s}");
        if (s.Type == GgmlType.F32)
        {
            if (!TryReadAhead(s, destination)) ReadStaged(s).CopyTo(destination);
            return;
        }
        if (s.Type != GgmlType.F16)
            throw new ArgumentException($"cannot read {s} as floats");
        var halves = ArrayPool<Half>.Shared.Rent(destination.Length);
        try
        {
            fixed (Half* p = halves) _stream.CopyToHost(p, s.Pointer, s.Bytes);
            _stream.Synchronize();
            for (int i = 0; i < destination.Length; i++) destination[i] = (float)halves[i];
        }
        finally { ArrayPool<Half>.Shared.Return(halves); }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> ReadInPlace(BackendTensor source)
    {
        var s = Own(source);
        if (s.Type != GgmlType.F32)
            throw new ArgumentException($"cannot read {s} in place as floats");
        return TryReadAheadInPlace(s) is { } host
            ? new ReadOnlySpan<float>((void*)host, checked((int)s.ElementCount))
            : ReadStaged(s);
    }

    // An F32 tensor through page-locked memory: the device writes at full speed; the values stay there until the next read.
    private ReadOnlySpan<float> ReadStaged(CudaTensor s)
    {
        var staged = ReadBuffer(s.Bytes);
        _stream.CopyToHost(staged, s.Pointer, s.Bytes);
        _stream.Synchronize();
        return new ReadOnlySpan<float>(staged, checked((int)s.ElementCount));
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<int> destination)
    {
        var s = Own(source);
        if (s.Type != GgmlType.I32 || destination.Length != s.ElementCount)
            throw new ArgumentException($"{destination.Length} integers for {s}");
        fixed (int* p = destination) _stream.CopyToHost(p, s.Pointer, s.Bytes);
        _stream.Synchronize();
    }

    /// <inheritdoc/>
    public void CopyRows(BackendTensor source, int sourceRow, BackendTensor destination, int destinationRow, int count)
    {
        var (s, d) = (Own(source), Own(destination));
        BackendTensor.CheckRowCopy(s, sourceRow, d, destinationRow, count);
        _stream.CopyOnDevice(d.RowPointer(destinationRow), s.RowPointer(sourceRow), (long)count * s.Columns * s.ElementBytes);
    }

    /// <summary>Waits for every queued op (timing, tests).</summary>
    public void Synchronize()
    {
        FlushPending();
        _stream.Synchronize();
    }

    // ---------------------------------------------------------------- weights

    /// <inheritdoc/>
    public WeightTensor Load(WeightTensor weight)
    {
        if (weight.Device == Device) return weight;
        if (weight.Device != Device.Cpu)
            throw new ArgumentException($"{weight.Name} lives on {weight.Device}; the CUDA backend loads host weights");
        _context.MakeCurrent();
        long rows = (long)weight.Rows * weight.Slices;
        int k = weight.RowLength;
        var type = weight.Type;
        CudaWeightView view;
        switch (type)
        {
            case GgmlType.Q8_0:
            case GgmlType.MXFP4:
            {
                long blocks = rows * (k / 32);
                long valueBytes = type == GgmlType.Q8_0 ? rows * k : rows * k / 2;
                long scaleBytes = type == GgmlType.Q8_0 ? blocks * 2 : blocks;
                // Scales padded to whole 16-byte words: kernels copy the aligned word that holds a scale.
                ulong values = AllocateWeight(valueBytes, weight.Name), scales = AllocateWeight((scaleBytes + 15) & ~15L, weight.Name);
                UploadBlocks(HostBase(weight), type == GgmlType.Q8_0 ? 34 : 17, blocks, values, scales, type);
                view = new CudaWeightView(type, values, scales, k, weight.Rows, weight.Slices);
                break;
            }
            case GgmlType.F32:
            case GgmlType.F16:
            {
                long bytes = rows * k * (type == GgmlType.F32 ? 4 : 2);
                ulong values = AllocateWeight(bytes, weight.Name);
                UploadPlain(HostBase(weight), values, bytes);
                view = new CudaWeightView(type, values, 0, k, weight.Rows, weight.Slices);
                break;
            }
            default:
            {
                // A type without CUDA kernels (BF16, Q4_0, K-quants): dequantised to F32 on the host once.
                long bytes = rows * k * 4;
                ulong values = AllocateWeight(bytes, weight.Name);
                UploadDequantised(weight, 0, rows, values);
                view = new CudaWeightView(GgmlType.F32, values, 0, k, weight.Rows, weight.Slices);
                break;
            }
        }
        _stream.Synchronize();
        return WeightTensor.OnDevice(weight, Device, view);
    }

    /// <summary>Whether <see cref="ReadHostTableInPlace"/> registers host tables (TESSERA_CUDA_HOST_TABLE=0: no, the
    /// model looks rows up on the host and writes them, as before).</summary>
    internal bool ReadsHostTables { get; set; }

    /// <summary>Why the last host table could not be registered, or null.</summary>
    public string? HostTableFailure { get; private set; }

    // Host tables GetRows reads over the bus (ReadHostTableInPlace): the table's device address and its pages' base.
    private readonly Dictionary<WeightTensor, (ulong Address, nint Pages)> _hostTables = new(ReferenceEqualityComparer.Instance);

    /// <inheritdoc/>
    /// <remarks>The table's pages are registered page-locked and read-only (cuMemHostRegister): they take no GPU memory,
    /// and <see cref="GetRows"/> reads a token's row (3 KB for gpt-oss-20b) over the bus inside the step, so a recorded
    /// decode step needs nothing from the host but its inputs. F32, F16, Q8_0 and MXFP4 tables, as the file stores them.</remarks>
    public bool ReadHostTableInPlace(WeightTensor table)
    {
        if (table.Device == Device || _hostTables.ContainsKey(table)) return true;
        if (!ReadsHostTables || table.Device != Device.Cpu || table.Slices != 1
            || table.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0 or GgmlType.MXFP4))
            return false;
        if (!_context.TryRegisterHostReadOnly(HostBase(table), table.Rows * table.RowBytes, out var pages, out var address, out var failure))
        {
            HostTableFailure = failure;
            return false;
        }
        _hostTables[table] = (address, pages);
        return true;
    }

    /// <summary>Whether <paramref name="table"/> is a host table <see cref="GetRows"/> reads in place here.</summary>
    internal bool HoldsHostTable(WeightTensor table) => _hostTables.ContainsKey(table);

    /// <inheritdoc/>
    public void ReleaseHostTable(WeightTensor table)
    {
        if (_disposed || !_hostTables.Remove(table, out var t)) return;
        _stream.Synchronize();
        _context.UnregisterHost(t.Pages);
    }

    /// <inheritdoc/>
    public void LoadDone()
    {
        if (_pinned is null) return;
        _stream.Synchronize();
        foreach (var p in _pinned) _context.FreePinned(p);
        foreach (var p in _uploadScratch!) _context.Free(p, StagingBytes);
        foreach (var e in _uploadDone!) e.Dispose();
        (_pinned, _uploadScratch, _uploadDone) = (null, null, null);
    }

    private ulong AllocateWeight(long bytes, string name)
    {
        ulong p = _context.Allocate(bytes, name);
        _weightMemory.Add((p, bytes));
        WeightBytes += bytes;
        return p;
    }

    // Pinned staging buffers and device scratch for uploads, two of each so copying one chunk overlaps the next.
    private nint[]? _pinned;
    private ulong[]? _uploadScratch;
    private CudaEvent[]? _uploadDone;
    private int _nextStaging;   // the staging buffer the next chunk goes through, across uploads (small ones alternate too)

    private void EnsureStaging()
    {
        if (_pinned is not null) return;
        _pinned = [_context.AllocatePinned(StagingBytes), _context.AllocatePinned(StagingBytes)];
        _uploadScratch = [_context.Allocate(StagingBytes, "upload staging"), _context.Allocate(StagingBytes, "upload staging")];
        _uploadDone = [new CudaEvent(timing: false), new CudaEvent(timing: false)];
    }

    private byte* HostBase(WeightTensor weight) => weight.SliceAddress(0);

    private void UploadBlocks(byte* host, int blockBytes, long blocks, ulong values, ulong scales, GgmlType type)
    {
        EnsureStaging();
        long perChunk = StagingBytes / blockBytes;
        int valuesPerBlockBytes = type == GgmlType.Q8_0 ? 32 : 16, scaleBytes = type == GgmlType.Q8_0 ? 2 : 1;
        ref int buffer = ref _nextStaging;
        for (long first = 0; first < blocks; first += perChunk, buffer ^= 1)
        {
            long count = Math.Min(perChunk, blocks - first);
            _uploadDone![buffer].Synchronize();
            CopyToStaging(host + first * blockBytes, (byte*)_pinned![buffer], count * blockBytes);
            _stream.CopyToDevice(_uploadScratch![buffer], (void*)_pinned[buffer], count * blockBytes);
            _kernels.Repack(_stream, type, _uploadScratch[buffer], values + (ulong)(first * valuesPerBlockBytes), scales + (ulong)(first * scaleBytes), count);
            _stream.Record(_uploadDone[buffer]);
        }
    }

    // Host weights into page-locked staging on every core: one thread copies a few GB/s, the bus takes tens (this is most of
    // the time a large batch of a hybrid run spends bringing the CPU's experts over, and of loading a model).
    private static void CopyToStaging(byte* source, byte* destination, long bytes)
    {
        const long Piece = 256 << 10;
        if (bytes <= 4 * Piece)
        {
            Buffer.MemoryCopy(source, destination, bytes, bytes);
            return;
        }
        long pieces = (bytes + Piece - 1) / Piece;
        Parallel.For(0L, pieces, i =>
        {
            long at = i * Piece, n = Math.Min(Piece, bytes - at);
            Buffer.MemoryCopy(source + at, destination + at, n, n);
        });
    }

    private void UploadPlain(byte* host, ulong destination, long bytes)
    {
        EnsureStaging();
        ref int buffer = ref _nextStaging;
        for (long first = 0; first < bytes; first += StagingBytes, buffer ^= 1)
        {
            long count = Math.Min(StagingBytes, bytes - first);
            _uploadDone![buffer].Synchronize();
            CopyToStaging(host + first, (byte*)_pinned![buffer], count);
            _stream.CopyToDevice(destination + (ulong)first, (void*)_pinned[buffer], count);
            _stream.Record(_uploadDone[buffer]);
        }
    }

    // Rows firstRow .. firstRow + total − 1 of the weight (counted over all slices), dequantised, to destination.
    private void UploadDequantised(WeightTensor weight, long firstRow, long total, ulong destination)
    {
        EnsureStaging();
        var format = BlockFormats.Get(weight.Type);
        int k = weight.RowLength, rowsPerChunk = Math.Max(1, StagingBytes / (k * 4));
        long done = 0;
        ref int buffer = ref _nextStaging;
        while (done < total)
        {
            int count = (int)Math.Min(rowsPerChunk, total - done);
            _uploadDone![buffer].Synchronize();
            var staging = new Span<float>((void*)_pinned![buffer], count * k);
            for (int i = 0; i < count; i++)
            {
                long r = firstRow + done + i;
                format.DequantizeRow(weight.Row((int)(r % weight.Rows), (int)(r / weight.Rows)), staging.Slice(i * k, k));
            }
            _stream.CopyToDevice(destination + (ulong)(done * k * 4), (void*)_pinned[buffer], (long)count * k * 4);
            _stream.Record(_uploadDone[buffer]);
            done += count;
            buffer ^= 1;
        }
    }

    // ---------------------------------------------------------------- helpers

    // Every op reaches its tensors through here, so a pending RMSNorm is run before any op that did not take it.
    private CudaTensor Own(BackendTensor tensor)
    {
        if (_norm is not null || _qkv is not null || _attnOut is not null) FlushPending();
        return Cast(tensor);
    }

    // The backend's own tensor, leaving pending fusions pending (for the ops that take them).
    private static CudaTensor Cast(BackendTensor tensor) =>
        tensor as CudaTensor ?? throw new ArgumentException($"tensor {tensor} does not belong to the CUDA backend");

    private CudaWeightView View(WeightTensor weight) =>
        weight.DeviceData is CudaWeightView v && weight.Device == Device ? v
            : throw new ArgumentException($"{weight.Name} lives on {weight.Device}, not on {Device} (load it through this backend)");

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }

    // The same with an interpolated message that is only formatted when the check fails (ops run hundreds of times a step).
    private static void Require(bool ok, [InterpolatedStringHandlerArgument("ok")] ref LazyText message)
    {
        if (!ok) throw new ArgumentException(message.ToStringAndClear());
    }

    // An interpolated string formatted only when it will be used: a failed check's message, a profiled op's name.
    [InterpolatedStringHandler]
    private ref struct LazyText
    {
        private DefaultInterpolatedStringHandler _inner;

        public LazyText(int literalLength, int formattedCount, bool ok, out bool format) : this(literalLength, formattedCount, !ok, out format, 0) { }

        public LazyText(int literalLength, int formattedCount, CudaBackend backend, out bool format)
            : this(literalLength, formattedCount, backend._profiler is not null, out format, 0) { }

        private LazyText(int literalLength, int formattedCount, bool use, out bool format, int _)
        {
            format = use;
            _inner = use ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string value) => _inner.AppendLiteral(value);
        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    // Scratch that only grows. Outside a recording the old buffer is freed; while recording, earlier nodes of the
    // recording may still point at it, so it is kept until the backend goes away.
    private ulong Scratch(ref ulong pointer, ref long size, long bytes, string what)
    {
        if (bytes <= size) return pointer;
        if (pointer != 0)
        {
            if (_stream.IsCapturing || _steps.Count > 0) _retired.Add((pointer, size));
            else
            {
                _stream.Synchronize();
                _context.Free(pointer, size);
            }
        }
        size = Math.Max(bytes, size * 2);
        pointer = _context.Allocate(size, what);
        return pointer;
    }

    private ulong RopeTable(YarnRope rope)
    {
        if (_ropeTable is { } t && ReferenceEquals(t.Rope, rope)) return t.Table;
        if (_ropeTable is { } old) _retired.Add((old.Table, old.Bytes));
        int d = rope.Dimensions;
        int positions = (int)Math.Min(1 << 21, Math.Ceiling(rope.OriginalContextLength / (double)rope.FreqScale));
        positions = Math.Max(positions, rope.OriginalContextLength);
        var table = new float[(long)positions * d];
        Parallel.For(0, positions, p => rope.CosSin(p, table.AsSpan(p * d, d)));
        long bytes = table.LongLength * 4;
        ulong pointer = _context.Allocate(bytes, "the RoPE table");
        fixed (float* p = table) _stream.CopyToDevice(pointer, p, bytes);
        _stream.Synchronize();
        _ropeTable = (rope, pointer, bytes);
        return pointer;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _context.MakeCurrent();
            _stream.Synchronize();
            if (_profiler is not null)
            {
                Console.Error.Write(_profiler.Report(_stream, PeakMemoryBandwidth));
                _profiler.Dispose();
            }
            foreach (var g in _steps.Values) g.Dispose();
            _steps.Clear();
            foreach (var (p, n) in _weightMemory) _context.Free(p, n);
            foreach (var table in _hostTables.Values) _context.UnregisterHost(table.Pages);
            _hostTables.Clear();
            foreach (var (p, n) in _retired) _context.Free(p, n);
            _context.Free(_attentionScratch, _attentionScratchBytes);
            _context.Free(_expertScratch, _expertScratchBytes);
            _context.Free(_sampleScratch, _sampleScratchBytes);
            _context.Free(_quantisedX, _quantisedXBytes);
            _context.Free(_routePartials, _routePartialsBytes);
            _context.FreePinned((nint)_hostResult);
            _context.Free(_routeCounter, 256);
            _context.Free(_gateUpTickets, 256);
            _context.Free(_actQuants, _actQuantsBytes);
            _context.Free(_normedQuants, _normedQuantsBytes);
            _context.Free(_attentionQuants, _attentionQuantsBytes);
            _context.FreePinned((nint)_inputRing);
            _context.FreePinned((nint)_readBuffer);
            FreeReadAhead();
            if (_ropeTable is { } t) _context.Free(t.Table, t.Bytes);
            if (_pinned is not null) foreach (var p in _pinned) _context.FreePinned(p);
            if (_uploadScratch is not null) foreach (var p in _uploadScratch) _context.Free(p, StagingBytes);
            if (_uploadDone is not null) foreach (var e in _uploadDone) e.Dispose();
            _stream.Dispose();
        }
        finally
        {
            if (_ownsContext) _context.Dispose();
        }
    }
}
