// What the planner plans for: the GPU memory budget, the context and batch sizes, the user's flags and the router counts.

using Tessera.Quants;

namespace Tessera.Placement;

/// <summary>Inputs of <see cref="PlacementPlanner.Plan"/> beside the model.</summary>
public sealed record PlanOptions
{
    /// <summary>GPU memory the placement may take, the CUDA context included.</summary>
    public required long GpuMemoryBytes { get; init; }

    /// <summary>Positions of the KV cache.</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Most tokens per forward pass (n_ubatch): sizes the work buffers and the sliding-window rings.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Element type of the KV cache: F16 (default) or F32.</summary>
    public GgmlType KvCacheType { get; init; } = GgmlType.F16;

    /// <summary>The user's flags; explicit ones (<see cref="PlacementRequest.IsExplicit"/>) are honoured exactly.</summary>
    public PlacementRequest Request { get; init; } = new();

    /// <summary>Router picks counted in earlier runs; null or empty = every expert equally likely.</summary>
    public ExpertUsage? Usage { get; init; }
}
