// GGUF type Q4_K: 256 values as 4-bit quants in 8 sub-blocks with 6-bit scales and mins, 144 bytes (gpt-oss-facts.md §3.3).
// Layout [d: f16][dmin: f16][scales: 12 B][qs: 128 B]; decoding is KScaleMinFormat's (ggml-quants.c dequantize_row_q4_K).
// No quantizer: ggml's quantize_row_q4_K_ref is an iterative search (make_qkx2_quants) that Tessera does not need yet.

namespace Tessera.Quants;

/// <summary>Q4_K: 4-bit K-quants with per-sub-block scales and minimums.</summary>
public sealed class Q4_KFormat() : KScaleMinFormat(GgmlType.Q4_K, bits: 4);
