// GGUF type Q8_K: [d: f32][qs: 256 × i8][bsums: 16 × i16], 292 bytes; x = d·q. It is ggml's activation format for K-quant
// dot products (gpt-oss-facts.md §3.5), rarely a weight type. Follows ggml-quants.c dequantize_row_q8_K and
// quantize_row_q8_K_ref: d = max/-127 from the signed value of largest magnitude, q = nearest_int (halves to even), capped at
// 127, and bsums are the sums of each 16 quants.

using System.Buffers.Binary;

namespace Tessera.Quants;

/// <summary>Q8_K: 8-bit quants with an f32 scale per 256 values, plus sums of 16-value groups.</summary>
public sealed class Q8_KFormat() : BlockFormat(GgmlType.Q8_K)
{
    private const int QuantsOffset = 4;
    private const int SumsOffset = 260;
    private const int SumGroup = 16;

    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = BinaryPrimitives.ReadSingleLittleEndian(block);
        for (int j = 0; j < values.Length; j++)
            values[j] = d * (sbyte)block[QuantsOffset + j];
    }

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0, max = 0;
        foreach (float v in values)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        // ggml leaves the sums of an all-zero block as they were; zeros are what they would sum to.
        block.Clear();
        if (amax == 0)
            return;

        float iscale = -127f / max;
        Span<byte> qs = block.Slice(QuantsOffset, values.Length);
        for (int j = 0; j < values.Length; j++)
            qs[j] = (byte)(sbyte)Math.Min(127, (int)MathF.Round(iscale * values[j]));

        for (int g = 0; g < values.Length / SumGroup; g++)
        {
            int sum = 0;
            foreach (byte q in qs.Slice(g * SumGroup, SumGroup))
                sum += (sbyte)q;
            BinaryPrimitives.WriteInt16LittleEndian(block[(SumsOffset + 2 * g)..], (short)sum);
        }

        BinaryPrimitives.WriteSingleLittleEndian(block, 1 / iscale);
    }
}
