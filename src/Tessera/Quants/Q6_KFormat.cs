// GGUF type Q6_K: 256 values as 6-bit quants in 16 sub-blocks of 16 with i8 scales, 210 bytes (gpt-oss-facts.md §3.3).
// Layout [ql: 128 B][qh: 64 B][scales: 16 × i8][d: f16]; x = (d·scale)·(q - 32). Follows ggml-quants.c dequantize_row_q6_K.
// No quantizer: quantize_row_q6_K_ref is an iterative search (make_qx_quants) that Tessera does not need yet.

namespace Tessera.Quants;

/// <summary>Q6_K: 6-bit K-quants with 8-bit sub-block scales.</summary>
public sealed class Q6_KFormat() : BlockFormat(GgmlType.Q6_K)
{
    private const int HighBitsOffset = 128;
    private const int ScalesOffset = 192;
    private const int ScaleOffset = 208;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Fp16.Read(block[ScaleOffset..]);
        // Two halves of 128 values, each with 64 ql bytes, 32 qh bytes and 8 scales. In a half, value 32·r + l (quarter
        // r = 0..3, l = 0..31) takes the low (r < 2) or high (r >= 2) nibble of ql[l + 32·(r mod 2)], bits 2r..2r+1 of qh[l]
        // as its top two bits, and scale 2r + l/16.
        for (int n = 0; n < 2; n++)
        {
            ReadOnlySpan<byte> ql = block.Slice(64 * n, 64);
            ReadOnlySpan<byte> qh = block.Slice(HighBitsOffset + 32 * n, 32);
            ReadOnlySpan<byte> scales = block.Slice(ScalesOffset + 8 * n, 8);
            Span<float> y = values.Slice(128 * n, 128);
            for (int r = 0; r < 4; r++)
            {
                for (int l = 0; l < 32; l++)
                {
                    int low = ql[l + 32 * (r & 1)] >> (4 * (r >> 1)) & 0xF;
                    int q = (low | (qh[l] >> (2 * r) & 3) << 4) - 32;
                    y[32 * r + l] = d * (sbyte)scales[2 * r + l / 16] * q;
                }
            }
        }
    }
}
