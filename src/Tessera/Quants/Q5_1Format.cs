// GGUF type Q5_1: 32 values as 5-bit quants with an f16 scale and minimum, x = q·d + m (gpt-oss-facts.md §3.3).
// Layout [d: f16][m: f16][qh: u32][qs: 16 B], 24 bytes; the shared legacy rules live in LegacyBlockFormat (ggml-quants.c dequantize_row_q5_1 / quantize_row_q5_1_ref).

namespace Tessera.Quants;

/// <summary>Q5_1: 5-bit quants with an f16 scale and minimum per 32 values.</summary>
public sealed class Q5_1Format() : LegacyBlockFormat(GgmlType.Q5_1, bits: 5, affine: true);
