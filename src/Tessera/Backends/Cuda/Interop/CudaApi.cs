// The CUDA driver API, bound by LibraryImport to the driver itself (libcuda.so.1, nvcuda.dll): users need the NVIDIA
// driver and nothing else. Only the calls Tessera makes are declared; every result goes through CudaException.Check so an
// error names the call and the driver's own message. Names and signatures follow cuda.h (the _v2 entry points where the
// header maps the plain name to them).

using System.Reflection;
using System.Runtime.InteropServices;

namespace Tessera.Backends.Cuda.Interop;

internal static unsafe partial class CudaApi
{
    public const string Library = "tessera-cuda-driver";

    static CudaApi() => NativeLibrary.SetDllImportResolver(typeof(CudaApi).Assembly, Resolve);

    /// <summary>The driver's file name on this system.</summary>
    public static string DriverFileName => OperatingSystem.IsWindows() ? "nvcuda.dll" : OperatingSystem.IsMacOS() ? "libcuda.dylib" : "libcuda.so.1";

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == Library && NativeLibrary.TryLoad(DriverFileName, assembly, path, out var handle) ? handle : 0;

    /// <summary>Loads the driver library; false (with the reason) when it is not installed.</summary>
    public static bool TryLoadDriver(out string reason)
    {
        try
        {
            Marshal.Prelink(typeof(CudaApi).GetMethod(nameof(cuInit), BindingFlags.Static | BindingFlags.Public)!);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            reason = $"the NVIDIA driver ({DriverFileName}) was not found";
            return false;
        }
    }

    [LibraryImport(Library)] public static partial CUresult cuInit(uint flags);
    [LibraryImport(Library)] public static partial CUresult cuDriverGetVersion(out int version);
    [LibraryImport(Library)] public static partial CUresult cuDeviceGetCount(out int count);
    [LibraryImport(Library)] public static partial CUresult cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] public static partial CUresult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Library)] public static partial CUresult cuDeviceGetAttribute(out int value, CUdevice_attribute attribute, int device);
    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")] public static partial CUresult cuDeviceTotalMem(out nuint bytes, int device);
    [LibraryImport(Library)] public static partial CUresult cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial CUresult cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Library)] public static partial CUresult cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial CUresult cuCtxSynchronize();
    [LibraryImport(Library)] public static partial CUresult cuModuleLoadDataEx(out nint module, byte* image, uint optionCount, CUjit_option* options, nint* values);
    [LibraryImport(Library)] public static partial CUresult cuModuleUnload(nint module);
    [LibraryImport(Library)] public static partial CUresult cuModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(Library)] public static partial CUresult cuFuncSetAttribute(nint function, CUfunction_attribute attribute, int value);
    [LibraryImport(Library)] public static partial CUresult cuFuncGetAttribute(out int value, CUfunction_attribute attribute, nint function);
    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")] public static partial CUresult cuMemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")] public static partial CUresult cuMemFree(ulong pointer);
    [LibraryImport(Library, EntryPoint = "cuMemGetInfo_v2")] public static partial CUresult cuMemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Library, EntryPoint = "cuMemHostAlloc")] public static partial CUresult cuMemHostAlloc(out nint pointer, nuint bytes, uint flags);
    [LibraryImport(Library)] public static partial CUresult cuMemFreeHost(nint pointer);
    [LibraryImport(Library, EntryPoint = "cuMemHostRegister_v2")] public static partial CUresult cuMemHostRegister(nint pointer, nuint bytes, uint flags);
    [LibraryImport(Library)] public static partial CUresult cuMemHostUnregister(nint pointer);
    [LibraryImport(Library, EntryPoint = "cuMemHostGetDevicePointer_v2")] public static partial CUresult cuMemHostGetDevicePointer(out ulong device, nint host, uint flags);
    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial CUresult cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial CUresult cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial CUresult cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemsetD8Async")] public static partial CUresult cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(Library)] public static partial CUresult cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Library, EntryPoint = "cuStreamDestroy_v2")] public static partial CUresult cuStreamDestroy(nint stream);
    [LibraryImport(Library)] public static partial CUresult cuStreamSynchronize(nint stream);
    [LibraryImport(Library)] public static partial CUresult cuStreamWaitEvent(nint stream, nint ev, uint flags);
    [LibraryImport(Library)] public static partial CUresult cuEventCreate(out nint ev, uint flags);
    [LibraryImport(Library, EntryPoint = "cuEventDestroy_v2")] public static partial CUresult cuEventDestroy(nint ev);
    [LibraryImport(Library)] public static partial CUresult cuEventRecord(nint ev, nint stream);
    [LibraryImport(Library)] public static partial CUresult cuEventRecordWithFlags(nint ev, nint stream, uint flags);
    [LibraryImport(Library)] public static partial CUresult cuEventSynchronize(nint ev);
    [LibraryImport(Library)] public static partial CUresult cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Library)] public static partial CUresult cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra);
    [LibraryImport(Library)] public static partial CUresult cuLaunchKernelEx(CUlaunchConfig* config, nint function, void** parameters, void** extra);
    [LibraryImport(Library, EntryPoint = "cuStreamBeginCapture_v2")] public static partial CUresult cuStreamBeginCapture(nint stream, CUstreamCaptureMode mode);
    [LibraryImport(Library)] public static partial CUresult cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Library)] public static partial CUresult cuGraphInstantiateWithFlags(out nint exec, nint graph, ulong flags);
    [LibraryImport(Library)] public static partial CUresult cuGraphLaunch(nint exec, nint stream);
    [LibraryImport(Library)] public static partial CUresult cuGraphExecDestroy(nint exec);
    [LibraryImport(Library)] public static partial CUresult cuGraphDestroy(nint graph);
    [LibraryImport(Library)] public static partial CUresult cuGetErrorName(CUresult error, out byte* text);
    [LibraryImport(Library)] public static partial CUresult cuGetErrorString(CUresult error, out byte* text);
}

/// <summary>CUresult: 0 is success; the rest are named by the driver (cuGetErrorName).</summary>
internal enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_NOT_SUPPORTED = 801,
}

internal enum CUdevice_attribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    MultiprocessorCount = 16,
    MemoryClockRate = 36,
    GlobalMemoryBusWidth = 37,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerBlockOptin = 97,
}

internal enum CUfunction_attribute
{
    SharedSizeBytes = 1,
    MaxDynamicSharedSizeBytes = 8,
}

internal enum CUjit_option
{
    InfoLogBuffer = 3,
    InfoLogBufferSizeBytes = 4,
    ErrorLogBuffer = 5,
    ErrorLogBufferSizeBytes = 6,
}

internal enum CUstreamCaptureMode
{
    Global = 0,
    ThreadLocal = 1,
    Relaxed = 2,
}

/// <summary>cuda.h's CUlaunchConfig (CUDA 12): the launch shape, the stream and the attributes of cuLaunchKernelEx.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CUlaunchConfig
{
    public uint GridDimX, GridDimY, GridDimZ, BlockDimX, BlockDimY, BlockDimZ, SharedMemBytes;
    public nint Stream;
    public CUlaunchAttribute* Attributes;
    public uint AttributeCount;
}

/// <summary>cuda.h's CUlaunchAttribute: an id, padding to 8 bytes, and a 64-byte value union of which the first int is used here.</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct CUlaunchAttribute
{
    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: the kernel may start before the one before it ends and
    /// waits for it itself (griddepcontrol.wait).</summary>
    public const int ProgrammaticStreamSerialization = 6;

    [FieldOffset(0)] public int Id;
    [FieldOffset(8)] public int Value;
}
