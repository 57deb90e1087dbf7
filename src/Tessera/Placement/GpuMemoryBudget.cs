// The GPU memory a model may take when the user gives no --gpu-memory: what the driver reports free, plus the CUDA
// context's own share (free is read with the context already made, and the planner counts the context itself), less a
// margin for other programs' growth and the driver's rounding.

namespace Tessera.Placement;

/// <summary>The default GPU memory budget.</summary>
public static class GpuMemoryBudget
{
    /// <summary>Left free on the GPU by the default budget.</summary>
    public const long MarginBytes = 256L << 20;

    /// <summary>The budget from <paramref name="freeBytes"/>, the driver's free memory read with this process's context made.</summary>
    public static long FromFree(long freeBytes) => Math.Max(0, freeBytes + VramModel.ContextOverheadBytes - MarginBytes);

    /// <summary>How the default budget was found, for the plan's report.</summary>
    public static string Describe(long freeBytes) =>
        $"the driver's free memory ({MemorySize.Format(freeBytes)}) + the context already in use ({MemorySize.Format(VramModel.ContextOverheadBytes)}) − a {MemorySize.Format(MarginBytes)} margin";
}
