// One tensor of a gpt-oss model as the architecture defines it: GGUF name, ggml shape and type, and its role.

using Tessera.Quants;

namespace Tessera.Models.GptOss;

/// <summary>What a tensor is for; decides how a synthetic model fills it.</summary>
public enum GptOssTensorRole
{
    /// <summary>Token embedding rows (looked up, not multiplied).</summary>
    Embedding,
    /// <summary>A weight matrix y = W·x (attention, output head, experts, router).</summary>
    Matrix,
    /// <summary>A bias vector.</summary>
    Bias,
    /// <summary>An RMSNorm weight.</summary>
    Norm,
    /// <summary>Per-head attention sink logits.</summary>
    Sinks,
}

/// <summary>A tensor of the gpt-oss layout. <c>Dimensions[0]</c> is the contiguous (input) axis.</summary>
public sealed record GptOssTensorSpec(string Name, long[] Dimensions, GgmlType Type, GptOssTensorRole Role)
{
    /// <summary>Bytes of the tensor's data.</summary>
    public long ByteSize => GgmlTypeInfo.Get(Type).RowBytes(Dimensions[0]) * Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d);
}
