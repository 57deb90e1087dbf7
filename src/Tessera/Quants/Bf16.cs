// bfloat16 (GGUF type BF16): the upper 16 bits of a binary32 (gpt-oss-facts.md §3.2).
// Follows ggml-impl.h: ggml_compute_bf16_to_fp32 (value = bits << 16, exact) and ggml_compute_fp32_to_bf16
// (round to nearest even by adding 0x7FFF plus the lowest kept bit; a NaN keeps its top bits and is made quiet).

using System.Buffers.Binary;

namespace Tessera.Quants;

/// <summary>bfloat16 conversions with ggml's exact semantics.</summary>
public static class Bf16
{
    /// <summary>The float value of the bfloat16 with bit pattern <paramref name="bits"/> (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even; NaN stays NaN, made quiet), as a bit pattern.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
            return (ushort)((bits >> 16) | 0x40);
        // A carry out of the mantissa moves into the exponent, which is what rounding up to the next binade (or inf) needs.
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>Reads a little-endian bfloat16 from the first two bytes of <paramref name="source"/>.</summary>
    public static float Read(ReadOnlySpan<byte> source) => ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source));

    /// <summary>Rounds <paramref name="value"/> to bfloat16 and writes it little-endian to the first two bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(destination, FromSingle(value));
}
