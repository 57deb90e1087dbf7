// What a placement needs of GPU memory, part by part (VramModel computes it).

namespace Tessera.Placement;

/// <summary>Bytes of GPU memory a placement needs: weights, KV cache, work buffers, hybrid prefill staging and the CUDA
/// context itself.</summary>
public sealed record VramEstimate(long Weights, long KvCache, long WorkBuffers, long Staging, long ContextOverhead)
{
    /// <summary>Nothing on the GPU.</summary>
    public static VramEstimate None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Everything together: what is compared with the budget.</summary>
    public long Total => Weights + KvCache + WorkBuffers + Staging + ContextOverhead;
}
