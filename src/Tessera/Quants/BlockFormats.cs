// Registry from ggml type to the block format Tessera implements for it (GgmlType ids: gpt-oss-facts.md §3.2).
// A type GGUF can name but Tessera cannot decode yet fails here with a message naming it, not deep inside a kernel.

using System.Diagnostics.CodeAnalysis;

namespace Tessera.Quants;

/// <summary>The block formats Tessera can dequantise, by ggml type.</summary>
public static class BlockFormats
{
    private static readonly Dictionary<GgmlType, IBlockFormat> ByType = new IBlockFormat[]
    {
        new F32Format(), new F16Format(), new BF16Format(),
        new Q4_0Format(), new Q4_1Format(), new Q5_0Format(), new Q5_1Format(), new Q8_0Format(),
        new Q4_KFormat(), new Q5_KFormat(), new Q6_KFormat(), new Q8_KFormat(),
        new Mxfp4Format(),
    }.ToDictionary(f => f.Type);

    /// <summary>Every format Tessera implements, in ggml type id order.</summary>
    public static IReadOnlyList<IBlockFormat> All { get; } = ByType.Values.OrderBy(f => f.Type).ToArray();

    /// <summary>The format of <paramref name="type"/>, or false when Tessera cannot dequantise it.</summary>
    public static bool TryGet(GgmlType type, [NotNullWhen(true)] out IBlockFormat? format) => ByType.TryGetValue(type, out format);

    /// <summary>The format of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">Tessera has no format for <paramref name="type"/>; the message names it.</exception>
    public static IBlockFormat Get(GgmlType type)
    {
        if (TryGet(type, out var format))
            return format;
        throw new NotSupportedException(Enum.IsDefined(type)
            ? $"tensor type {type} ({(uint)type}) cannot be dequantised by Tessera yet"
            : $"tensor type id {(uint)type} is not a ggml type Tessera knows");
    }
}
