// GGUF type Q4_1: 32 values as 4-bit quants with an f16 scale and minimum, x = q·d + m (gpt-oss-facts.md §3.3).
// Layout [d: f16][m: f16][qs: 16 B], 20 bytes; the shared legacy rules live in LegacyBlockFormat (ggml-quants.c dequantize_row_q4_1 / quantize_row_q4_1_ref).

namespace Tessera.Quants;

/// <summary>Q4_1: 4-bit quants with an f16 scale and minimum per 32 values.</summary>
public sealed class Q4_1Format() : LegacyBlockFormat(GgmlType.Q4_1, bits: 4, affine: true);
