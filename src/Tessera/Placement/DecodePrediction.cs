// What the decode-speed model predicts for one token: its time, the bytes each device reads and what the time is made of.

namespace Tessera.Placement;

/// <summary>Predicted cost of decoding one token with a placement.</summary>
public sealed record DecodePrediction
{
    /// <summary>Seconds per token.</summary>
    public required double SecondsPerToken { get; init; }

    /// <summary>Bytes the GPU reads per token: its non-expert matrices, its experts' expected reads and its KV cache.</summary>
    public required double GpuBytesPerToken { get; init; }

    /// <summary>Bytes the CPU reads per token: its experts' expected reads, and the blocks and head in RAM.</summary>
    public required double CpuBytesPerToken { get; init; }

    /// <summary>Seconds of synchronisation between the devices and of kernel launches and small kernels.</summary>
    public required double OverheadSeconds { get; init; }

    /// <summary>Positions in the KV cache the prediction assumes.</summary>
    public required int KvDepth { get; init; }

    /// <summary>The bandwidths used.</summary>
    public required Bandwidths Bandwidths { get; init; }

    /// <summary>Predicted decode speed.</summary>
    public double TokensPerSecond => 1 / SecondsPerToken;
}
