// A failed CUDA driver call: the call's name, the driver's error name and message. Out-of-memory is its own type so the
// engine can say how much it asked for and how much was free.

using System.Runtime.InteropServices;
using Tessera.Backends.Cuda.Interop;

namespace Tessera.Backends.Cuda;

/// <summary>A CUDA driver call failed.</summary>
public class CudaException : Exception
{
    internal CudaException(string call, int code, string message) : base(message)
    {
        Call = call;
        Code = code;
    }

    /// <summary>The driver call, e.g. <c>cuMemAlloc</c>.</summary>
    public string Call { get; }

    /// <summary>The CUresult code.</summary>
    public int Code { get; }

    internal static void Check(CUresult result, string call)
    {
        if (result != CUresult.CUDA_SUCCESS)
            throw Create(result, call, null);
    }

    internal static CudaException Create(CUresult result, string call, string? detail)
    {
        var (name, text) = Describe(result);
        var message = $"{call} failed: {name} ({text}){(detail is null ? "" : $": {detail}")}";
        return result == CUresult.CUDA_ERROR_OUT_OF_MEMORY ? new CudaOutOfMemoryException(call, (int)result, message) : new CudaException(call, (int)result, message);
    }

    internal static unsafe (string Name, string Text) Describe(CUresult result)
    {
        string name = $"CUDA error {(int)result}", text = "no description";
        try
        {
            if (CudaApi.cuGetErrorName(result, out var n) == CUresult.CUDA_SUCCESS && n != null) name = Marshal.PtrToStringUTF8((nint)n) ?? name;
            if (CudaApi.cuGetErrorString(result, out var s) == CUresult.CUDA_SUCCESS && s != null) text = Marshal.PtrToStringUTF8((nint)s) ?? text;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return (name, text);
    }
}

/// <summary>The GPU has not enough free memory for an allocation.</summary>
public sealed class CudaOutOfMemoryException : CudaException
{
    internal CudaOutOfMemoryException(string call, int code, string message) : base(call, code, message) { }
}
