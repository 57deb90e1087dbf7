// The 256-value K-quant super-blocks with a scale and a minimum per 32-value sub-block, Q4_K and Q5_K (ggml-common.h
// block_q4_K / block_q5_K; ggml-quants.c get_scale_min_k4, dequantize_row_q4_K / q5_K; gpt-oss-facts.md §3.3):
// [d: f16][dmin: f16][scales: 12 B][qh: 32 B, Q5_K only][qs: 128 B]. Sub-block k has a 6-bit scale sc and min mn, and decodes
// x = (d·sc)·q - (dmin·mn). Q5_K is Q4_K plus a fifth bit per quant, so Q4_K runs the same code with no high bits.

namespace Tessera.Quants;

/// <summary>Base of the K-quant formats with per-sub-block scales and minimums (Q4_K, Q5_K).</summary>
public abstract class KScaleMinFormat : BlockFormat
{
    private const int ScalesOffset = 4;
    private const int ScalesBytes = 12;
    private const int HighBitsBytes = 32;
    private const int SubBlock = 32;
    private readonly bool _hasHighBits;
    private readonly int _qsOffset;

    /// <summary>A K-quant format with <paramref name="bits"/>-bit quants (4 or 5).</summary>
    private protected KScaleMinFormat(GgmlType type, int bits) : base(type)
    {
        _hasHighBits = bits == 5;
        _qsOffset = ScalesOffset + ScalesBytes + (_hasHighBits ? HighBitsBytes : 0);
    }

    /// <summary>
    /// The 6-bit scale and min of sub-block <paramref name="k"/> (0..7) from the 12 packed bytes: for k &lt; 4 the low six bits
    /// of bytes k and k+4; for k >= 4 the nibbles of byte k+4 topped with the two high bits of bytes k-4 and k.
    /// </summary>
    public static (int Scale, int Min) ScaleMin(ReadOnlySpan<byte> scales, int k) => k < 4
        ? (scales[k] & 63, scales[k + 4] & 63)
        : ((scales[k + 4] & 0xF) | (scales[k - 4] >> 6) << 4, (scales[k + 4] >> 4) | (scales[k] >> 6) << 4);

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Fp16.Read(block);
        float dmin = Fp16.Read(block[2..]);
        ReadOnlySpan<byte> scales = block.Slice(ScalesOffset, ScalesBytes);
        ReadOnlySpan<byte> qh = _hasHighBits ? block.Slice(ScalesOffset + ScalesBytes, HighBitsBytes) : default;
        ReadOnlySpan<byte> qs = block[_qsOffset..];

        // Four chunks of 64 values share 32 quant bytes: sub-block 2c takes the low nibbles, 2c+1 the high ones, and
        // their fifth bits are bits 2c and 2c+1 of qh[l].
        for (int c = 0; c < 4; c++)
        {
            for (int half = 0; half < 2; half++)
            {
                int k = 2 * c + half;
                (int sc, int mn) = ScaleMin(scales, k);
                float dk = d * sc;
                float mk = dmin * mn;
                Span<float> y = values.Slice(k * SubBlock, SubBlock);
                for (int l = 0; l < SubBlock; l++)
                {
                    int q = qs[c * SubBlock + l] >> (4 * half) & 0xF;
                    if (_hasHighBits)
                        q |= (qh[l] >> k & 1) << 4;
                    y[l] = dk * q - mk;
                }
            }
        }
    }
}
