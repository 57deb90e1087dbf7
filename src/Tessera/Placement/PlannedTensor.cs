// One tensor as the placement planner sees it: name, ggml type, shape and bytes in the file.

using Tessera.Quants;

namespace Tessera.Placement;

/// <summary>One tensor as the planner sees it. <c>Dimensions[0]</c> is the contiguous axis; for an expert tensor the
/// last is the expert.</summary>
public sealed record PlannedTensor(string Name, GgmlType Type, long[] Dimensions, long Bytes)
{
    /// <summary>Values in the tensor.</summary>
    public long Elements => Dimensions.Aggregate(1L, (a, d) => a * d);

    /// <summary>The block of <c>blk.N.*</c>, else null (embedding, output norm, head).</summary>
    public int? Block { get; } = PlacementRequest.BlockOf(Name);

    /// <summary>Whether this is one of a block's expert tensors (gate, up, down and their biases).</summary>
    public bool IsExpert { get; } = TensorPlacement.ExpertLayer(Name) is not null;
}
