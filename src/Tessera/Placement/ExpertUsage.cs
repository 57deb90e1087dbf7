// How often the router picked each expert of each layer: counted while a hybrid run copies the routing to the host anyway,
// kept between runs so that the planner can hold the experts picked most in VRAM.

namespace Tessera.Placement;

/// <summary>Router picks per layer and expert.</summary>
public sealed class ExpertUsage
{
    private readonly long[][] _counts;

    public ExpertUsage(int layers, int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Layers = layers;
        Experts = experts;
        _counts = new long[layers][];
        for (int il = 0; il < layers; il++) _counts[il] = new long[experts];
    }

    /// <summary>Blocks counted.</summary>
    public int Layers { get; }

    /// <summary>Experts per block.</summary>
    public int Experts { get; }

    /// <summary>Usage with these counts, [layer][expert] (copied).</summary>
    public static ExpertUsage FromCounts(IReadOnlyList<IReadOnlyList<long>> counts)
    {
        int experts = counts.Count == 0 ? 1 : counts[0].Count;
        var usage = new ExpertUsage(counts.Count, experts);
        for (int il = 0; il < counts.Count; il++)
        {
            if (counts[il].Count != experts)
                throw new ArgumentException($"layer {il} has {counts[il].Count} counts, layer 0 {experts}", nameof(counts));
            for (int e = 0; e < experts; e++)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(counts[il][e], nameof(counts));
                usage._counts[il][e] = counts[il][e];
            }
        }
        return usage;
    }

    /// <summary>A copy of the counts, [layer][expert].</summary>
    public long[][] ToArray() => _counts.Select(c => (long[])c.Clone()).ToArray();

    /// <summary>All picks counted, every layer together.</summary>
    public long TotalPicks => _counts.Sum(c => c.Sum());

    /// <summary>Counts <paramref name="count"/> picks of <paramref name="expert"/> in <paramref name="layer"/>.</summary>
    public void Add(int layer, int expert, long count = 1) => _counts[layer][expert] += count;

    /// <summary>Picks of <paramref name="expert"/> in <paramref name="layer"/>.</summary>
    public long Count(int layer, int expert) => _counts[layer][expert];

    /// <summary>All picks counted in <paramref name="layer"/>.</summary>
    public long Total(int layer) => _counts[layer].Sum();

    /// <summary>The share of <paramref name="layer"/>'s picks that went to <paramref name="expert"/> (1/experts when none
    /// were counted).</summary>
    public double Share(int layer, int expert)
    {
        long total = Total(layer);
        return total == 0 ? 1.0 / Experts : (double)_counts[layer][expert] / total;
    }
}
