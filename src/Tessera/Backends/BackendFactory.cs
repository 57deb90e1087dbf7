// Makes the backend a model runs on from the user's choice: the forward pass never names a backend class.

using Tessera.Backends.Cpu;
using Tessera.Backends.Cuda;
using Tessera.Backends.Hybrid;
using Tessera.Placement;

namespace Tessera.Backends;

/// <summary>Creates backends.</summary>
public static class BackendFactory
{
    /// <summary>The backend for <paramref name="choice"/>. <paramref name="notice"/> is one line for the user when Auto fell
    /// back to the CPU (why the GPU could not be used), else null.</summary>
    /// <exception cref="CudaUnavailableException">Cuda was asked for and no GPU can be used; the message says why.</exception>
    /// <remarks>With a GPU, <paramref name="placement"/> says what goes on it and what stays in RAM, tensor by tensor (null:
    /// all on the GPU), and <paramref name="usage"/> counts the router's picks of a run on both.</remarks>
    public static IBackend Create(DeviceChoice choice, int threads, out string? notice, bool roundActivations = true, CpuIsa? isa = null,
        TensorPlacement? placement = null, ExpertUsage? usage = null)
    {
        var backend = Create(choice, threads, out notice, roundActivations, isa);
        if (placement is null || backend is not CudaBackend gpu) return backend;
        try { return new HybridBackend(gpu, new CpuBackend(threads, roundActivations, isa), placement, usage); }
        catch { gpu.Dispose(); throw; }
    }

    private static IBackend Create(DeviceChoice choice, int threads, out string? notice, bool roundActivations, CpuIsa? isa)
    {
        notice = null;
        switch (choice)
        {
            case DeviceChoice.Cpu:
                return new CpuBackend(threads, roundActivations, isa);
            case DeviceChoice.Cuda:
                return new CudaBackend();
            default:
                if (CudaDeviceInfo.Probe(out var reason) is not null)
                {
                    try { return new CudaBackend(); }
                    catch (CudaException e) { reason = $"the GPU could not be used: {e.Message}"; }
                }
                notice = $"{reason}; running on the CPU";
                return new CpuBackend(threads, roundActivations, isa);
        }
    }

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> (also <c>gpu</c>, <c>cuda:0</c>).</summary>
    public static bool TryParse(string? text, out DeviceChoice choice)
    {
        choice = DeviceChoice.Auto;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "auto": choice = DeviceChoice.Auto; return true;
            case "cpu": choice = DeviceChoice.Cpu; return true;
            case "cuda" or "gpu" or "cuda:0" or "cuda0": choice = DeviceChoice.Cuda; return true;
            default: return false;
        }
    }
}
