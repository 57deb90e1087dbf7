// IEEE 754 binary16 ("half", GGUF type F16) to and from binary32, bit-compatible with ggml (gpt-oss-facts.md §3.3: h2f).
// half -> float is exact; a NaN comes back quiet with its payload, as from F16C's vcvtph2ps and ggml's software path.
// float -> half rounds to nearest even like F16C's vcvtps2ph (ggml's GGML_FP32_TO_FP16 on x86): overflow gives inf, and a
// NaN keeps its sign and top ten payload bits and is made quiet. System.Half follows exactly these rules (Fp16Tests checks
// every half and the rounding boundaries against bit-level decoders), so this class only names them and adds byte access.

using System.Buffers.Binary;

namespace Tessera.Quants;

/// <summary>IEEE half-precision conversions with ggml's exact semantics.</summary>
public static class Fp16
{
    /// <summary>The float value of the half with bit pattern <paramref name="bits"/> (exact).</summary>
    public static float ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>The half nearest to <paramref name="value"/> (ties to even), as a bit pattern.</summary>
    public static ushort FromSingle(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Reads a little-endian half from the first two bytes of <paramref name="source"/>.</summary>
    public static float Read(ReadOnlySpan<byte> source) => ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source));

    /// <summary>Rounds <paramref name="value"/> to half and writes it little-endian to the first two bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(destination, FromSingle(value));
}
