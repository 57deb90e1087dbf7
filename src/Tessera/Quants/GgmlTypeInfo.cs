// Block geometry of every ggml type GGUF can name (ggml/src/ggml.c type_traits; gpt-oss-facts.md §3.2).
// Knowing the size of a type is enough to lay out and inspect a file; dequantising needs a block format (BlockFormats).

namespace Tessera.Quants;

/// <summary>Block size (elements) and bytes per block of a ggml type.</summary>
public readonly record struct GgmlTypeInfo(GgmlType Type, int BlockSize, int BytesPerBlock)
{
    private static readonly Dictionary<GgmlType, GgmlTypeInfo> Known = new GgmlTypeInfo[]
    {
        new(GgmlType.F32, 1, 4),
        new(GgmlType.F16, 1, 2),
        new(GgmlType.Q4_0, 32, 18),
        new(GgmlType.Q4_1, 32, 20),
        new(GgmlType.Q5_0, 32, 22),
        new(GgmlType.Q5_1, 32, 24),
        new(GgmlType.Q8_0, 32, 34),
        new(GgmlType.Q8_1, 32, 36),
        new(GgmlType.Q2_K, 256, 84),
        new(GgmlType.Q3_K, 256, 110),
        new(GgmlType.Q4_K, 256, 144),
        new(GgmlType.Q5_K, 256, 176),
        new(GgmlType.Q6_K, 256, 210),
        new(GgmlType.Q8_K, 256, 292),
        new(GgmlType.IQ2_XXS, 256, 66),
        new(GgmlType.IQ2_XS, 256, 74),
        new(GgmlType.IQ3_XXS, 256, 98),
        new(GgmlType.IQ1_S, 256, 50),
        new(GgmlType.IQ4_NL, 32, 18),
        new(GgmlType.IQ3_S, 256, 110),
        new(GgmlType.IQ2_S, 256, 82),
        new(GgmlType.IQ4_XS, 256, 136),
        new(GgmlType.I8, 1, 1),
        new(GgmlType.I16, 1, 2),
        new(GgmlType.I32, 1, 4),
        new(GgmlType.I64, 1, 8),
        new(GgmlType.F64, 1, 8),
        new(GgmlType.IQ1_M, 256, 56),
        new(GgmlType.BF16, 1, 2),
        new(GgmlType.TQ1_0, 256, 54),
        new(GgmlType.TQ2_0, 256, 66),
        new(GgmlType.MXFP4, 32, 17),
    }.ToDictionary(i => i.Type);

    /// <summary>Geometry of <paramref name="type"/>, or false when the id is not a ggml type we know.</summary>
    public static bool TryGet(GgmlType type, out GgmlTypeInfo info) => Known.TryGetValue(type, out info);

    /// <summary>Geometry of <paramref name="type"/>; throws <see cref="NotSupportedException"/> for unknown ids.</summary>
    public static GgmlTypeInfo Get(GgmlType type) =>
        TryGet(type, out var info) ? info : throw new NotSupportedException($"unknown ggml type id {(uint)type}");

    /// <summary>Bytes of one row of <paramref name="elements"/> values; the count must be a multiple of the block size.</summary>
    public long RowBytes(long elements)
    {
        if (elements % BlockSize != 0)
            throw new ArgumentException($"{Type} rows need a multiple of {BlockSize} elements, got {elements}");
        return elements / BlockSize * BytesPerBlock;
    }
}
