// A CUDA stream: kernel launches, copies and events in order, and the capture of a sequence of them as a CUDA graph that
// replays with one launch (what makes a decode step of ~200 kernels cost one host call).

using System.Runtime.CompilerServices;
using Tessera.Backends.Cuda.Interop;

namespace Tessera.Backends.Cuda;

/// <summary>A grid or block shape.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(int x) => new((uint)x);
}

/// <summary>One kernel argument, stored in 8 bytes (little-endian, as the kernel reads its 4- or 8-byte parameter).</summary>
public readonly struct KernelArg
{
    private readonly ulong _bits;
    private KernelArg(ulong bits) => _bits = bits;
    internal ulong Bits => _bits;

    /// <summary>A device pointer (or 0 for a null pointer).</summary>
    public static KernelArg Ptr(ulong pointer) => new(pointer);
    public static KernelArg I32(int value) => new((uint)value);
    public static KernelArg I64(long value) => new((ulong)value);
    public static KernelArg F32(float value) => new(BitConverter.SingleToUInt32Bits(value));
    public static KernelArg F64(double value) => new(BitConverter.DoubleToUInt64Bits(value));
}

/// <summary>A stream of GPU work on one context.</summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly CudaContext _context;
    private nint _stream;

    public CudaStream(CudaContext context)
    {
        _context = context;
        context.MakeCurrent();
        CudaException.Check(CudaApi.cuStreamCreate(out _stream, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
    }

    internal nint Handle => _stream;

    /// <summary>The context the stream belongs to.</summary>
    public CudaContext Context => _context;

    /// <summary>True while a graph is being captured: launches are recorded, not run.</summary>
    public bool IsCapturing { get; private set; }

    /// <summary>How many launches, copies, graph launches and event waits have been queued on the stream: a launcher
    /// compares it with the value after an earlier launch to know that nothing came in between.</summary>
    internal long Submitted { get; private set; }

    /// <summary>Launches <paramref name="function"/> with <paramref name="args"/> in the order of the kernel's parameters.</summary>
    public void Launch(CudaFunction function, Dim3 grid, Dim3 block, int sharedBytes, ReadOnlySpan<KernelArg> args)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return;
        FlushInputs();
        Submitted++;
        var values = stackalloc ulong[args.Length];
        var pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            values[i] = args[i].Bits;
            pointers[i] = values + i;
        }
        function.AllowSharedMemory(sharedBytes);
        CUresult result;
        if (function.Programmatic && _context.ProgrammaticLaunch)
        {
            var attribute = new CUlaunchAttribute { Id = CUlaunchAttribute.ProgrammaticStreamSerialization, Value = 1 };
            var config = new CUlaunchConfig
            {
                GridDimX = grid.X, GridDimY = grid.Y, GridDimZ = grid.Z, BlockDimX = block.X, BlockDimY = block.Y, BlockDimZ = block.Z,
                SharedMemBytes = (uint)sharedBytes, Stream = _stream, Attributes = &attribute, AttributeCount = 1,
            };
            try
            {
                result = CudaApi.cuLaunchKernelEx(&config, function.Handle, pointers, null);
            }
            catch (EntryPointNotFoundException)
            {
                result = CUresult.CUDA_ERROR_NOT_SUPPORTED;
            }
            if (result == CUresult.CUDA_SUCCESS) return;
            // A driver that refuses it: launch this and every later kernel the plain way (their waits then return at once).
            _context.ProgrammaticLaunch = false;
        }
        result = CudaApi.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, (uint)sharedBytes, _stream, pointers, null);
        if (result != CUresult.CUDA_SUCCESS)
            throw CudaException.Create(result, "cuLaunchKernel", $"{function.Name} grid ({grid.X}, {grid.Y}, {grid.Z}) block ({block.X}, {block.Y}, {block.Z}) shared {sharedBytes}");
    }

    /// <summary>Whether small writes from page-locked memory are queued and applied by one kernel (see <see cref="QueueInput"/>);
    /// TESSERA_CUDA_GATHER_INPUTS=0: each is its own copy.</summary>
    public bool GatherInputs { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_GATHER_INPUTS") is not "0";

    /// <summary>The most writes one <c>tsr_gather_inputs</c> launch applies (the kernel's parameters).</summary>
    public const int MaxGatheredInputs = 8;

    /// <summary>The largest write <see cref="QueueInput"/> queues: a step's inputs are a few integers each.</summary>
    public const long MaxGatheredInputBytes = 4096;

    // Writes queued by QueueInput: destination, page-locked source, 32-bit words.
    private readonly (ulong Destination, nint Source, int Words)[] _inputs = new (ulong, nint, int)[MaxGatheredInputs];
    private int _inputCount;
    private bool? _mappedHostMemory;

    /// <summary>A small write of <paramref name="bytes"/> from page-locked memory (<see cref="CudaContext.AllocatePinned"/>),
    /// which must stay as it is until the stream has done it. The step's inputs (token ids, positions, KV slots: six or seven
    /// writes of a few bytes) are queued and, when the next operation comes to the stream, applied by one kernel that reads
    /// them straight from host memory (<c>tsr_gather_inputs</c>) instead of one copy each; a write alone, a large one, one
    /// made while a graph is being recorded, or one where the host memory is not mapped for the device is a copy.</summary>
    public void QueueInput(ulong destination, void* source, long bytes)
    {
        if (bytes == 0) return;
        if (!GatherInputs || IsCapturing || bytes % 4 != 0 || bytes > MaxGatheredInputBytes || !MappedHostMemory(source))
        {
            CopyToDevice(destination, source, bytes);
            return;
        }
        // A write over one still queued is done after it: they would race in one launch.
        bool overlaps = false;
        for (int i = 0; i < _inputCount; i++)
            overlaps |= destination < _inputs[i].Destination + (ulong)_inputs[i].Words * 4 && _inputs[i].Destination < destination + (ulong)bytes;
        if (overlaps || _inputCount == MaxGatheredInputs) FlushInputs();
        Submitted++;
        _inputs[_inputCount++] = (destination, (nint)source, (int)(bytes / 4));
    }

    /// <summary>Writes applied by <c>tsr_gather_inputs</c> so far (for tests).</summary>
    internal long GatheredInputs { get; private set; }

    // Page-locked memory is the same address on the device under unified addressing (64-bit hosts): checked once.
    private bool MappedHostMemory(void* source) =>
        _mappedHostMemory ??= CudaApi.cuMemHostGetDevicePointer(out ulong device, (nint)source, 0) == CUresult.CUDA_SUCCESS
            && device == (ulong)source;

    // Applies the queued writes: one copy, or tsr_gather_inputs for several.
    private void FlushInputs()
    {
        if (_inputCount == 0) return;
        int n = _inputCount;
        _inputCount = 0;
        if (n == 1)
        {
            var (d, src, words) = _inputs[0];
            CopyToDevice(d, (void*)src, words * 4L);
            return;
        }
        Span<KernelArg> args = stackalloc KernelArg[1 + 3 * MaxGatheredInputs];
        args[0] = KernelArg.I32(n);
        for (int i = 0; i < MaxGatheredInputs; i++)
        {
            var (d, src, words) = i < n ? _inputs[i] : default;
            args[1 + 3 * i] = KernelArg.Ptr(d);
            args[2 + 3 * i] = KernelArg.Ptr((ulong)src);
            args[3 + 3 * i] = KernelArg.I32(words);
        }
        Launch(_context.Function("elementwise", "tsr_gather_inputs"), 1, 256, 0, args);
        GatheredInputs += n;
    }

    public void CopyToDevice(ulong destination, void* source, long bytes)
    {
        if (bytes == 0) return;
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuMemcpyHtoDAsync(destination, source, (nuint)bytes, _stream), "cuMemcpyHtoDAsync");
    }

    public void CopyToHost(void* destination, ulong source, long bytes)
    {
        if (bytes == 0) return;
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuMemcpyDtoHAsync(destination, source, (nuint)bytes, _stream), "cuMemcpyDtoHAsync");
    }

    public void CopyOnDevice(ulong destination, ulong source, long bytes)
    {
        if (bytes == 0) return;
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, _stream), "cuMemcpyDtoDAsync");
    }

    public void Zero(ulong destination, long bytes)
    {
        if (bytes == 0) return;
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuMemsetD8Async(destination, 0, (nuint)bytes, _stream), "cuMemsetD8Async");
    }

    /// <summary>Waits until everything queued on the stream is done.</summary>
    public void Synchronize()
    {
        FlushInputs();
        CudaException.Check(CudaApi.cuStreamSynchronize(_stream), "cuStreamSynchronize");
    }

    /// <summary>Starts recording this stream's launches and copies into a graph (nothing runs until it is replayed). Relaxed
    /// mode: a buffer may be allocated while recording (it must then outlive the graph).</summary>
    public void BeginCapture()
    {
        FlushInputs();
        CudaException.Check(CudaApi.cuStreamBeginCapture(_stream, CUstreamCaptureMode.Relaxed), "cuStreamBeginCapture");
        IsCapturing = true;
    }

    /// <summary>Ends the capture and returns the graph, ready to launch.</summary>
    public CudaGraph EndCapture()
    {
        FlushInputs();
        IsCapturing = false;
        CudaException.Check(CudaApi.cuStreamEndCapture(_stream, out nint graph), "cuStreamEndCapture");
        try
        {
            CudaException.Check(CudaApi.cuGraphInstantiateWithFlags(out nint exec, graph, 0), "cuGraphInstantiateWithFlags");
            return new CudaGraph(graph, exec);
        }
        catch
        {
            CudaApi.cuGraphDestroy(graph);
            throw;
        }
    }

    /// <summary>Abandons a capture after an error (the partial graph is discarded).</summary>
    public void AbortCapture()
    {
        if (!IsCapturing) return;
        IsCapturing = false;
        if (CudaApi.cuStreamEndCapture(_stream, out nint graph) == CUresult.CUDA_SUCCESS && graph != 0)
            CudaApi.cuGraphDestroy(graph);
    }

    /// <summary>Queues one replay of <paramref name="graph"/>.</summary>
    public void Launch(CudaGraph graph)
    {
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuGraphLaunch(graph.Exec, _stream), "cuGraphLaunch");
    }

    /// <summary>Records an event on the stream (for timing or cross-stream waits).</summary>
    public void Record(CudaEvent e)
    {
        FlushInputs();
        CudaException.Check(CudaApi.cuEventRecord(e.Handle, _stream), "cuEventRecord");
    }

    /// <summary>Records an event the host can wait for, also when the stream's work is being recorded into a graph
    /// (<paramref name="captured"/>: an event record node, recorded again by each replay).</summary>
    public void RecordForHost(CudaEvent e, bool captured)
    {
        if (!captured) Record(e);
        else
        {
            FlushInputs();
            CudaException.Check(CudaApi.cuEventRecordWithFlags(e.Handle, _stream, 1 /* CU_EVENT_RECORD_EXTERNAL */), "cuEventRecordWithFlags");
        }
    }

    /// <summary>Makes later work on this stream wait for <paramref name="e"/>.</summary>
    public void Wait(CudaEvent e)
    {
        FlushInputs();
        Submitted++;
        CudaException.Check(CudaApi.cuStreamWaitEvent(_stream, e.Handle, 0), "cuStreamWaitEvent");
    }

    public void Dispose()
    {
        if (_stream == 0) return;
        _context.MakeCurrent();
        CudaApi.cuStreamDestroy(_stream);
        _stream = 0;
    }
}

/// <summary>An instantiated CUDA graph.</summary>
public sealed class CudaGraph(nint graph, nint exec) : IDisposable
{
    internal nint Exec { get; private set; } = exec;

    public void Dispose()
    {
        if (Exec == 0) return;
        CudaApi.cuGraphExecDestroy(Exec);
        CudaApi.cuGraphDestroy(graph);
        Exec = 0;
    }
}

/// <summary>A CUDA event: a point in a stream, for timing and waits.</summary>
public sealed class CudaEvent : IDisposable
{
    public CudaEvent(bool timing = true) =>
        CudaException.Check(CudaApi.cuEventCreate(out _handle, timing ? 0u : 2u /* CU_EVENT_DISABLE_TIMING */), "cuEventCreate");

    private nint _handle;
    internal nint Handle => _handle;

    public void Synchronize() => CudaException.Check(CudaApi.cuEventSynchronize(_handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and complete).</summary>
    public float MillisecondsSince(CudaEvent start)
    {
        CudaException.Check(CudaApi.cuEventElapsedTime(out float ms, start._handle, _handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        CudaApi.cuEventDestroy(_handle);
        _handle = 0;
    }
}
