// GGUF type MXFP4 (OCP microscaling FP4): [e: E8M0][qs: 16 B], 17 bytes per 32 values (gpt-oss-facts.md §3.4).
// Value j is Values[nibble j]·Scale(e): ggml stores E2M1 doubled (0, 1, 2, 3, 4, 6, 8, 12 and negatives) and halves the
// E8M0 scale to match, 2^(e-128). Follows ggml-quants.c dequantize_row_mxfp4 and quantize_row_mxfp4_ref: e is
// floor(log2f(amax)) - 2 + 127 wrapped to a byte, and each value takes the first nibble with the smallest |Values[i]·d - x|.

namespace Tessera.Quants;

/// <summary>MXFP4: 4-bit E2M1 values with one shared E8M0 exponent per 32 values.</summary>
public sealed class Mxfp4Format() : BlockFormat(GgmlType.MXFP4)
{
    private const int HalfBlock = 16;

    /// <summary>The decoded value of each nibble, in units of <see cref="Scale"/> (ggml's <c>kvalues_mxfp4</c>: E2M1 doubled).</summary>
    public static ReadOnlySpan<sbyte> Values => [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    // Twice the midpoints between consecutive magnitudes 0, 1, 2, 3, 4, 6, 8, 12 (nibbles 0..7, in increasing order).
    private static readonly int[] DoubledMidpoints = [1, 3, 5, 7, 10, 14, 20];

    // For n = ceil(2|x|/d) (0..32), the magnitude nibble: how many doubled midpoints lie below n, i.e. below 2|x|/d.
    private static readonly byte[] MagnitudeOfDoubledUnits =
        Enumerable.Range(0, 33).Select(n => (byte)DoubledMidpoints.Count(m => m < n)).ToArray();

    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <summary>
    /// The block scale of exponent byte <paramref name="e"/>: 2^(e-128), half the E8M0 value (ggml's
    /// <c>GGML_E8M0_TO_FP32_HALF</c>). e = 0 and 1 give the float subnormals 2^-128 and 2^-127; e = 255 is 2^127, not NaN.
    /// </summary>
    public static float Scale(byte e) => BitConverter.UInt32BitsToSingle(e < 2 ? 0x0020_0000u << e : (uint)(e - 1) << 23);

    /// <summary>
    /// The exponent byte ggml picks for a block whose largest magnitude is <paramref name="amax"/>:
    /// floor(log2(amax)) - 2 + 127, so that amax lands in [8, 16)·Scale(e) and the top value 12 covers most of it; 0 for 0.
    /// </summary>
    /// <remarks>
    /// log2 is rounded to float before the floor, as ggml's <c>floorf(log2f(amax))</c>: just below a power of two it rounds
    /// up to the integer, which picks the next exponent. Rounding the double log2 to float gives that correctly rounded
    /// float on every platform. Below 2^-125 the result is negative and ggml's byte cast wraps it (on x86), giving a huge
    /// scale that quantizes the block to zeros; that is reproduced. A block holding inf has no defined result in ggml (the
    /// cast is undefined behaviour) and none here.
    /// </remarks>
    public static byte ExponentFor(float amax)
    {
        if (!(amax > 0))
            return 0;
        float log2 = (float)Math.Log2(amax);
        return unchecked((byte)((int)MathF.Floor(log2) - 2 + 127));
    }

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Scale(block[0]);
        ReadOnlySpan<byte> qs = block.Slice(1, HalfBlock);
        for (int j = 0; j < HalfBlock; j++)
        {
            values[j] = Values[qs[j] & 0xF] * d;
            values[j + HalfBlock] = Values[qs[j] >> 4] * d;
        }
    }

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0;
        foreach (float v in values)
        {
            if (amax < MathF.Abs(v))
                amax = MathF.Abs(v);
        }

        byte e = ExponentFor(amax);
        block[0] = e;

        // ggml searches all 16 nibbles for the first smallest float error |Values[i]·d - x|. With d a power of two and
        // |x| <= amax < 16·d, the two values around x have exact errors (Sterbenz), so that search is "nearest value,
        // ties to the smaller magnitude, zero as nibble 0": the count of midpoints below |x|/d. 2|x|/d is exact in double
        // (d itself may be a float subnormal), and counting integer doubled midpoints below it only needs its ceiling.
        // Mxfp4Tests checks this against the literal search.
        double toDoubledUnits = Math.ScaleB(1.0, 129 - e);
        Span<byte> qs = block.Slice(1, HalfBlock);
        for (int j = 0; j < HalfBlock; j++)
            qs[j] = (byte)(Nibble(values[j], toDoubledUnits) | Nibble(values[j + HalfBlock], toDoubledUnits) << 4);
    }

    private static int Nibble(float x, double toDoubledUnits)
    {
        // NaN gives (int)NaN = 0, nibble 0, as in ggml's search, where no comparison with a NaN error succeeds.
        double units = Math.Ceiling(MathF.Abs(x) * toDoubledUnits);
        int magnitude = MagnitudeOfDoubledUnits[(int)Math.Min(units, 32)];
        // Negative values use nibbles 9..15; a value that rounds to zero is nibble 0 whatever its sign, as in ggml.
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 28) & 8;
        return magnitude == 0 ? 0 : magnitude | sign;
    }
}
