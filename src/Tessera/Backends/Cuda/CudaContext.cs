// One GPU's primary context, made current on whatever thread calls in, with the PTX modules Tessera ships (embedded
// resources, JIT-compiled by the driver for the GPU at hand) and memory accounting. Everything the CUDA backend does goes
// through here or CudaStream.

using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Tessera.Backends.Cuda.Interop;

namespace Tessera.Backends.Cuda;

/// <summary>The primary context of one CUDA GPU and the kernels loaded into it.</summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly nint _context;
    private readonly ConcurrentDictionary<string, nint> _modules = new();
    private readonly ConcurrentDictionary<string, CudaFunction> _functions = new();
    private bool _disposed;

    private CudaContext(CudaDeviceInfo device, nint context)
    {
        Device = device;
        _context = context;
        ProgrammaticLaunch = device.ComputeCapabilityMajor >= 9 && device.DriverVersion >= 12030
            && Environment.GetEnvironmentVariable("TESSERA_CUDA_PDL") is not "0";
    }

    /// <summary>Opens the first GPU, or throws <see cref="CudaUnavailableException"/> saying why it cannot be used.</summary>
    public static CudaContext Open()
    {
        var info = CudaDeviceInfo.Probe(out var reason) ?? throw new CudaUnavailableException(reason);
        CudaException.Check(CudaApi.cuDeviceGet(out int device, info.Ordinal), "cuDeviceGet");
        CudaException.Check(CudaApi.cuDevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        var result = new CudaContext(info, context);
        result.MakeCurrent();
        return result;
    }

    /// <summary>The GPU.</summary>
    public CudaDeviceInfo Device { get; }

    /// <summary>Device memory this context has allocated and not freed.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocated);
    private long _allocated;

    [ThreadStatic] private static nint _currentOnThread;

    /// <summary>Makes this context current on the calling thread (a driver call only when the thread had another).</summary>
    public void MakeCurrent()
    {
        if (_currentOnThread == _context) return;
        CudaException.Check(CudaApi.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
        _currentOnThread = _context;
    }

    /// <summary>Free and total device memory as the driver reports them.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemGetInfo(out nuint free, out nuint total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    /// <summary>Allocates <paramref name="bytes"/> of device memory; an out-of-memory error says how much was asked and free.</summary>
    public ulong Allocate(long bytes, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        MakeCurrent();
        var result = CudaApi.cuMemAlloc(out ulong pointer, (nuint)Math.Max(bytes, 1));
        if (result != CUresult.CUDA_SUCCESS)
        {
            string detail = $"{what}: {bytes / 1048576.0:F1} MiB asked";
            if (CudaApi.cuMemGetInfo(out nuint free, out nuint total) == CUresult.CUDA_SUCCESS)
                detail += $", {free / 1048576.0:F1} MiB free of {total / 1048576.0:F1} MiB";
            throw CudaException.Create(result, "cuMemAlloc", detail);
        }
        Interlocked.Add(ref _allocated, Math.Max(bytes, 1));
        return pointer;
    }

    /// <summary>Frees memory from <see cref="Allocate"/>.</summary>
    public void Free(ulong pointer, long bytes)
    {
        if (pointer == 0 || _disposed) return;
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemFree(pointer), "cuMemFree");
        Interlocked.Add(ref _allocated, -Math.Max(bytes, 1));
    }

    /// <summary>Peak memory bandwidth in bytes/s: 2 transfers per memory clock × bus width (the driver's attributes).</summary>
    public double PeakMemoryBandwidth()
    {
        MakeCurrent();
        CudaException.Check(CudaApi.cuDeviceGet(out int device, Device.Ordinal), "cuDeviceGet");
        CudaException.Check(CudaApi.cuDeviceGetAttribute(out int kHz, CUdevice_attribute.MemoryClockRate, device), "cuDeviceGetAttribute");
        CudaException.Check(CudaApi.cuDeviceGetAttribute(out int bits, CUdevice_attribute.GlobalMemoryBusWidth, device), "cuDeviceGetAttribute");
        return 2.0 * kHz * 1000 * bits / 8;
    }

    /// <summary>Page-locked host memory (fast, asynchronous copies).</summary>
    public nint AllocatePinned(long bytes)
    {
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemHostAlloc(out nint p, (nuint)Math.Max(bytes, 1), 0), "cuMemHostAlloc");
        return p;
    }

    /// <summary>Frees memory from <see cref="AllocatePinned"/>.</summary>
    public void FreePinned(nint pointer)
    {
        if (pointer == 0 || _disposed) return;
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemFreeHost(pointer), "cuMemFreeHost");
    }

    /// <summary>Registers host memory the process already has (a range of a mapped file) as page-locked and readable by
    /// kernels, read-only: the whole pages that hold [<paramref name="start"/>, start + <paramref name="bytes"/>). Returns
    /// the pages' base, for <see cref="UnregisterHost"/>, and the range's device address; or false and the driver's reason
    /// (a driver without read-only registration, a file system it cannot pin, memory already registered).</summary>
    public unsafe bool TryRegisterHostReadOnly(byte* start, long bytes, out nint pages, out ulong device, out string? failure)
    {
        const long Page = 4096;
        const uint DeviceMap = 0x02, ReadOnly = 0x08;   // CU_MEMHOSTREGISTER_DEVICEMAP | CU_MEMHOSTREGISTER_READ_ONLY
        MakeCurrent();
        long first = (long)start & ~(Page - 1), end = ((long)start + bytes + Page - 1) & ~(Page - 1);
        pages = 0;
        device = 0;
        var result = CudaApi.cuMemHostRegister((nint)first, (nuint)(end - first), DeviceMap | ReadOnly);
        if (result != CUresult.CUDA_SUCCESS)
        {
            var (name, text) = CudaException.Describe(result);
            failure = $"cuMemHostRegister: {name}: {text}";
            return false;
        }
        result = CudaApi.cuMemHostGetDevicePointer(out device, (nint)start, 0);
        if (result != CUresult.CUDA_SUCCESS)
        {
            var (name, text) = CudaException.Describe(result);
            failure = $"cuMemHostGetDevicePointer: {name}: {text}";
            CudaApi.cuMemHostUnregister((nint)first);
            device = 0;
            return false;
        }
        pages = (nint)first;
        failure = null;
        return true;
    }

    /// <summary>Undoes <see cref="TryRegisterHostReadOnly"/> (nothing once the context is gone: its registrations went with it).</summary>
    public void UnregisterHost(nint pages)
    {
        if (pages == 0 || _disposed) return;
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemHostUnregister(pages), "cuMemHostUnregister");
    }

    /// <summary>Whether kernels are launched with programmatic dependent launch where their module allows it: compute 9.0 or
    /// newer, a driver of CUDA 12.3 or newer (graphs keep the programmatic edges), and TESSERA_CUDA_PDL not 0. Turned off for
    /// good if a launch is refused.</summary>
    public bool ProgrammaticLaunch { get; internal set; }

    /// <summary>The kernel <paramref name="name"/> of the embedded module <paramref name="module"/> (file name without .ptx).</summary>
    public CudaFunction Function(string module, string name) => _functions.GetOrAdd(module + "/" + name, _ =>
    {
        // On Hopper and newer, a module with a build for programmatic dependent launch is loaded in that build, and its
        // kernels are launched so that each may start while the one before it finishes (see common.cuh, TSR_PDL).
        bool programmatic = ProgrammaticLaunch && EmbeddedModules().Contains(module + ".pdl");
        var m = _modules.GetOrAdd(programmatic ? module + ".pdl" : module, LoadModule);
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            var result = CudaApi.cuModuleGetFunction(out nint f, m, p);
            if (result != CUresult.CUDA_SUCCESS)
                throw CudaException.Create(result, "cuModuleGetFunction", $"kernel {name} in {module}.ptx");
            return new CudaFunction(f, name) { Programmatic = programmatic };
        }
    });

    /// <summary>The PTX text of an embedded kernel module, or null if there is none by that name.</summary>
    public static byte[]? EmbeddedPtx(string module)
    {
        using var stream = typeof(CudaContext).Assembly.GetManifestResourceStream($"Tessera.Cuda.{module}.ptx");
        if (stream is null) return null;
        var bytes = new byte[stream.Length + 1];
        stream.ReadExactly(bytes, 0, (int)stream.Length);
        return bytes;   // NUL-terminated for cuModuleLoadDataEx
    }

    /// <summary>The names of the embedded kernel modules.</summary>
    public static IEnumerable<string> EmbeddedModules() => typeof(CudaContext).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Tessera.Cuda.", StringComparison.Ordinal) && n.EndsWith(".ptx", StringComparison.Ordinal))
        .Select(n => n["Tessera.Cuda.".Length..^".ptx".Length]);

    /// <summary>TESSERA_CUDA_PTX_DIR: a folder whose NAME.ptx files are loaded instead of the embedded modules of that name
    /// (for trying kernel variants on a GPU machine without rebuilding the binary; a module not in the folder stays
    /// embedded). The kernels' parameters must be the ones the host passes.</summary>
    internal static byte[]? OverridePtx(string module, string? dir)
    {
        if (string.IsNullOrEmpty(dir)) return null;
        var path = Path.Combine(dir, module + ".ptx");
        if (!File.Exists(path)) return null;
        var text = File.ReadAllBytes(path);
        var bytes = new byte[text.Length + 1];
        text.CopyTo(bytes, 0);
        return bytes;   // NUL-terminated
    }

    private nint LoadModule(string module)
    {
        var ptx = OverridePtx(module, Environment.GetEnvironmentVariable("TESSERA_CUDA_PTX_DIR")) ?? EmbeddedPtx(module)
            ?? throw new InvalidOperationException($"the kernel module {module}.ptx is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}");
        MakeCurrent();
        const int LogSize = 8192;
        var log = stackalloc byte[LogSize];
        var options = stackalloc CUjit_option[] { CUjit_option.ErrorLogBuffer, CUjit_option.ErrorLogBufferSizeBytes };
        var values = stackalloc nint[] { (nint)log, LogSize };
        fixed (byte* p = ptx)
        {
            var result = CudaApi.cuModuleLoadDataEx(out nint m, p, 2, options, values);
            if (result != CUresult.CUDA_SUCCESS)
            {
                var text = Marshal.PtrToStringUTF8((nint)log)?.Trim();
                throw CudaException.Create(result, "cuModuleLoadDataEx", $"{module}.ptx{(string.IsNullOrEmpty(text) ? "" : ": " + text)}");
            }
            return m;
        }
    }

    /// <summary>Waits for all work on the GPU.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaException.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public void Dispose()
    {
        if (_disposed) return;
        try
        {
            MakeCurrent();
            foreach (var m in _modules.Values) CudaApi.cuModuleUnload(m);
            CudaApi.cuDevicePrimaryCtxRelease(Device.Ordinal);
        }
        finally { _disposed = true; }
    }
}

/// <summary>A kernel of a loaded module.</summary>
public sealed record CudaFunction(nint Handle, string Name)
{
    /// <summary>Launched with programmatic stream serialisation (the kernel waits for the one before it itself).</summary>
    public bool Programmatic { get; init; }

    private int _maxShared;
    private int _staticShared = -1;

    /// <summary>Allows up to <paramref name="bytes"/> of dynamic shared memory: needed once the kernel's static shared
    /// memory and the dynamic bytes together pass 48 KiB (the split-K router on four rows of 2,880 values: 46,080 + 4,752).</summary>
    public void AllowSharedMemory(int bytes)
    {
        if (bytes <= _maxShared) return;
        if (_staticShared < 0)
        {
            CudaException.Check(CudaApi.cuFuncGetAttribute(out int s, CUfunction_attribute.SharedSizeBytes, Handle), $"cuFuncGetAttribute({Name})");
            _staticShared = s;
        }
        if (bytes + _staticShared <= 48 * 1024) return;
        CudaException.Check(CudaApi.cuFuncSetAttribute(Handle, CUfunction_attribute.MaxDynamicSharedSizeBytes, bytes), $"cuFuncSetAttribute({Name})");
        _maxShared = bytes;
    }
}

/// <summary>No CUDA GPU can be used; the message says why in one line.</summary>
public sealed class CudaUnavailableException(string message) : Exception(message);
