// GGUF type Q8_0: [d: f16][qs: 32 × i8], 34 bytes; x = d·q (gpt-oss-facts.md §3.3, §3.5).
// Follows ggml-quants.c dequantize_row_q8_0 and quantize_row_q8_0_ref: d = amax/127 (stored as f16), q = roundf(x/d) with
// the reciprocal of the unrounded d, halves away from zero. ggml-cpu's AVX2 path rounds halves to even instead; this is
// the reference that GGUF writers use.

namespace Tessera.Quants;

/// <summary>Q8_0: 8-bit quants with one f16 scale per 32 values.</summary>
public sealed class Q8_0Format() : BlockFormat(GgmlType.Q8_0)
{
    private const int ScaleBytes = 2;

    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Fp16.Read(block);
        for (int j = 0; j < values.Length; j++)
            values[j] = (sbyte)block[ScaleBytes + j] * d;
    }

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0;
        foreach (float v in values)
        {
            // ggml's MAX(amax, fabsf(v)), NaN handling included.
            float a = MathF.Abs(v);
            amax = amax > a ? amax : a;
        }

        float d = amax / 127;
        float id = d != 0 ? 1f / d : 0f;
        Fp16.Write(block, d);
        for (int j = 0; j < values.Length; j++)
            block[ScaleBytes + j] = (byte)(sbyte)MathF.Round(values[j] * id, MidpointRounding.AwayFromZero);
    }
}
