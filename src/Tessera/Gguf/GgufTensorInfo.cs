// One tensor as a GGUF file describes it: name, shape {ne0, ne1, ...} (ne0 contiguous), ggml type and where its bytes lie.

using Tessera.Quants;

namespace Tessera.Gguf;

/// <summary>A tensor described by a GGUF file. Shapes follow ggml: <c>Dimensions[0]</c> is the contiguous axis.</summary>
public sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long RelativeOffset, long FileOffset, long ByteSize)
{
    /// <summary>Total number of elements.</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (a, d) => a * d);

    /// <summary>Elements per row (ne0).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Number of rows (product of ne1 and up).</summary>
    public long RowCount => Dimensions.Length <= 1 ? 1 : Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes per row.</summary>
    public long RowBytes => ByteSize / Math.Max(1, RowCount);

    /// <summary>The shape as <c>{2880, 201088}</c>.</summary>
    public string ShapeText => "{" + string.Join(", ", Dimensions) + "}";
}
