// Whether a CUDA GPU can be used here and what it is, found through the driver alone. The probe never throws: when there
// is no driver, no GPU or the driver refuses, it says why in one line, which `--device auto` prints before running on the
// CPU and `--device cuda` turns into its error.

using System.Text;
using Tessera.Backends.Cuda.Interop;

namespace Tessera.Backends.Cuda;

/// <summary>A CUDA GPU as the driver describes it.</summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, int ComputeCapabilityMajor, int ComputeCapabilityMinor,
    long TotalMemoryBytes, int Multiprocessors, int DriverVersion)
{
    /// <summary>The oldest GPUs the kernels are built for (compute capability 8.0, Ampere).</summary>
    public const int MinimumComputeCapability = 80;

    /// <summary>e.g. <c>NVIDIA H200, compute 9.0, 140 GiB</c>.</summary>
    public string Description => $"{Name}, compute {ComputeCapabilityMajor}.{ComputeCapabilityMinor}, {TotalMemoryBytes / (1L << 30)} GiB";

    /// <summary>The driver's CUDA version as text, e.g. <c>13.0</c>.</summary>
    public string DriverVersionText => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";

    private static readonly Lock Gate = new();
    private static (CudaDeviceInfo? Device, string Reason)? _probe;

    /// <summary>Probes the driver once per process: the first GPU, or null and the reason none can be used.</summary>
    public static CudaDeviceInfo? Probe(out string reason)
    {
        lock (Gate)
        {
            _probe ??= ProbeNow();
            reason = _probe.Value.Reason;
            return _probe.Value.Device;
        }
    }

    private static unsafe (CudaDeviceInfo?, string) ProbeNow()
    {
        if (Environment.GetEnvironmentVariable("TESSERA_CUDA_DISABLE") is "1")
            return (null, "CUDA is switched off (TESSERA_CUDA_DISABLE=1)");
        if (!CudaApi.TryLoadDriver(out var missing))
            return (null, $"no CUDA GPU: {missing}");
        var init = CudaApi.cuInit(0);
        if (init == CUresult.CUDA_ERROR_NO_DEVICE)
            return (null, "no CUDA GPU: the NVIDIA driver is installed but sees no GPU");
        if (init != CUresult.CUDA_SUCCESS)
        {
            var (name, text) = CudaException.Describe(init);
            return (null, $"no CUDA GPU: the NVIDIA driver did not start (cuInit: {name}, {text})");
        }
        try
        {
            CudaException.Check(CudaApi.cuDeviceGetCount(out int count), "cuDeviceGetCount");
            if (count == 0)
                return (null, "no CUDA GPU: the NVIDIA driver is installed but sees no GPU");
            CudaException.Check(CudaApi.cuDriverGetVersion(out int version), "cuDriverGetVersion");
            CudaException.Check(CudaApi.cuDeviceGet(out int device, 0), "cuDeviceGet");
            var nameBytes = stackalloc byte[256];
            CudaException.Check(CudaApi.cuDeviceGetName(nameBytes, 256, device), "cuDeviceGetName");
            int length = 0;
            while (length < 256 && nameBytes[length] != 0) length++;
            int Attribute(CUdevice_attribute a)
            {
                CudaException.Check(CudaApi.cuDeviceGetAttribute(out int v, a, device), "cuDeviceGetAttribute");
                return v;
            }
            CudaException.Check(CudaApi.cuDeviceTotalMem(out nuint total, device), "cuDeviceTotalMem");
            var info = new CudaDeviceInfo(0, Encoding.UTF8.GetString(nameBytes, length), Attribute(CUdevice_attribute.ComputeCapabilityMajor),
                Attribute(CUdevice_attribute.ComputeCapabilityMinor), (long)total, Attribute(CUdevice_attribute.MultiprocessorCount), version);
            if (info.ComputeCapabilityMajor * 10 + info.ComputeCapabilityMinor < MinimumComputeCapability)
                return (null, $"no usable CUDA GPU: {info.Name} has compute capability {info.ComputeCapabilityMajor}.{info.ComputeCapabilityMinor}; Tessera's kernels need 8.0 (Ampere) or newer");
            return (info, "");
        }
        catch (CudaException e)
        {
            return (null, $"no CUDA GPU: {e.Message}");
        }
    }
}
