// The logits of a decode step cross the bus while the output head is still computing them. One row of logits is 0.8 MB
// for gpt-oss (201,088 floats): read after the step, its copy to the host and then into the caller's array is time the GPU
// spends idle before the next token. So the head's product runs in two launches: a second stream copies the first one's
// rows (most of them) into page-locked memory while the second launch computes the rest, and Read copies those rows into
// the caller's array meanwhile; only the last rows cross after the step. The copy is part of a recorded step (the second
// stream forks from the step's stream and joins it again), so a replayed step reads ahead too.

namespace Tessera.Backends.Cuda;

public sealed unsafe partial class CudaBackend
{
    /// <summary>A one-row product of at least <see cref="ReadAheadMinBytes"/> of output leaves its last 1/n rows to a second
    /// launch, and its other rows are copied to the host while that runs (TESSERA_CUDA_READ_AHEAD = n, 2 to 16, default 8;
    /// 0 or 1: one launch, read afterwards).</summary>
    /// <remarks>8 where the logits are read in place (bench, <see cref="ReadInPlace"/>): only the last eighth then crosses
    /// after the step. A <see cref="Read(BackendTensor, Span{float})"/> into the caller's array copies the first 7/8 on
    /// the host meanwhile, which takes longer than the last eighth takes to compute on an H200 (4 was faster there for
    /// that path).</remarks>
    public int ReadAheadPieces { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CUDA_READ_AHEAD"), out int n) && n is >= 0 and <= 16 ? n : 8;

    /// <summary>Output bytes from which a one-row product reads ahead (a head over a vocabulary).</summary>
    public const long ReadAheadMinBytes = 256 << 10;

    /// <summary>Reads that found most of their rows already on the host (for tests).</summary>
    public long ReadsAhead { get; private set; }

    // Where the last read-ahead product leaves its output on the host: the device tensor, its page-locked copy, how many
    // bytes of it the second stream copies, and the stream's Submitted count after that product (a later launch on the
    // stream, which might write the tensor, makes it stale).
    private readonly record struct ReadAhead(ulong Pointer, long Bytes, nint Host, long Copied, long At);

    private ReadAhead? _readAhead;
    private readonly Dictionary<object, ReadAhead> _stepReadAhead = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(ulong, long), nint> _readAheadHost = [];
    private CudaStream? _copyStream;
    private CudaEvent? _firstComputed, _firstCopied, _firstOnHost;

    // A one-row product into a large F32 output in two launches, the first one's rows copied to the host by the second
    // stream while the second launch runs. False (nothing launched) when the product is not one for this.
    private bool MatMulReadingAhead(in CudaWeightView w, ulong x, CudaTensor y, ulong bias, in MatVecFusion fuse)
    {
        int n = ReadAheadPieces;
        if (n < 2 || y.Rows != 1 || y.Bytes < ReadAheadMinBytes || !CudaKernels.RunsAsMatVec(w.K, 1) || w.Slices != 1)
            return false;
        int tail = ((w.R + n - 1) / n + 15) / 16 * 16, first = w.R - tail;   // a multiple of 16 rows: a block's warp tasks
        if (first <= 0) return false;

        if (!_readAheadHost.TryGetValue((y.Pointer, y.Bytes), out nint host))
            _readAheadHost[(y.Pointer, y.Bytes)] = host = _context.AllocatePinned(y.Bytes);
        _copyStream ??= new CudaStream(_context);
        _firstComputed ??= new CudaEvent(timing: false);
        _firstCopied ??= new CudaEvent(timing: false);
        _firstOnHost ??= new CudaEvent(timing: false);

        long copied = (long)first * sizeof(float);
        _kernels.MatMul(_stream, w with { R = first }, x, y.Pointer, bias, 1, fuse);
        _stream.Record(_firstComputed);
        _copyStream.Wait(_firstComputed);
        _copyStream.CopyToHost((void*)host, y.Pointer, copied);
        _copyStream.RecordForHost(_firstOnHost, captured: _stream.IsCapturing);
        _copyStream.Record(_firstCopied);   // after the host's event: in a recording, the join then follows that node too
        var rest = w with { Values = w.Values + (ulong)(first * ValueRowBytes(w)), Scales = w.Scales == 0 ? 0 : w.Scales + (ulong)(first * ScaleRowBytes(w)), R = tail };
        _kernels.MatMul(_stream, rest, x, y.Pointer + (ulong)copied, bias == 0 ? 0 : bias + (ulong)copied, 1, fuse);
        _stream.Wait(_firstCopied);   // joins the second stream again (a recording needs it)
        _readAhead = new ReadAhead(y.Pointer, y.Bytes, host, copied, _stream.Submitted);
        return true;
    }

    // Read of an F32 tensor whose first rows the last launch on the stream copies to the host: those go into the destination
    // as soon as they are there (the GPU still computing the rest), then the rest is copied. False when the tensor was not
    // that launch's output.
    private bool TryReadAhead(CudaTensor s, Span<float> destination)
    {
        if (!IsReadAhead(s, out var r)) return false;
        int first = (int)(r.Copied / sizeof(float));
        _stream.CopyToHost((byte*)r.Host + r.Copied, s.Pointer + (ulong)r.Copied, s.Bytes - r.Copied);
        _firstOnHost!.Synchronize();
        new ReadOnlySpan<float>((void*)r.Host, first).CopyTo(destination);
        _stream.Synchronize();
        new ReadOnlySpan<float>((float*)r.Host + first, destination.Length - first).CopyTo(destination[first..]);
        ReadsAhead++;
        return true;
    }

    // ReadInPlace of such a tensor: the rest is copied after the first rows, into the same page-locked memory, which then
    // holds every value (its address), with nothing copied on the host. Null when the tensor was not that launch's output.
    private nint? TryReadAheadInPlace(CudaTensor s)
    {
        if (!IsReadAhead(s, out var r)) return null;
        _stream.CopyToHost((byte*)r.Host + r.Copied, s.Pointer + (ulong)r.Copied, s.Bytes - r.Copied);
        _stream.Synchronize();   // after the second stream's copy too: the step's stream joins it
        ReadsAhead++;
        return r.Host;
    }

    private bool IsReadAhead(CudaTensor s, out ReadAhead r)
    {
        r = _readAhead.GetValueOrDefault();
        return _readAhead is not null && r.Pointer == s.Pointer && r.Bytes == s.Bytes && r.At == _stream.Submitted;
    }

    // A step recorded with a read-ahead product replays it: the record is kept with the step and made current, with the
    // stream's count after the replay, each time it is launched.
    private void KeepReadAhead(object key, long before)
    {
        if (_readAhead is { } r && r.At > before) _stepReadAhead[key] = r;
        else _stepReadAhead.Remove(key);
    }

    private void ReplayReadAhead(object key) =>
        _readAhead = _stepReadAhead.TryGetValue(key, out var r) ? r with { At = _stream.Submitted } : null;

    private void FreeReadAhead()
    {
        foreach (var p in _readAheadHost.Values) _context.FreePinned(p);
        _readAheadHost.Clear();
        _firstComputed?.Dispose();
        _firstCopied?.Dispose();
        _firstOnHost?.Dispose();
        _copyStream?.Dispose();
    }
}
