// GGUF type Q5_K: 256 values as 5-bit quants in 8 sub-blocks with 6-bit scales and mins, 176 bytes.
// Layout [d: f16][dmin: f16][scales: 12 B][qh: 32 B][qs: 128 B]; decoding is KScaleMinFormat's (ggml-quants.c
// dequantize_row_q5_K). No quantizer, for the same reason as Q4_K.

namespace Tessera.Quants;

/// <summary>Q5_K: 5-bit K-quants with per-sub-block scales and minimums.</summary>
public sealed class Q5_KFormat() : KScaleMinFormat(GgmlType.Q5_K, bits: 5);
