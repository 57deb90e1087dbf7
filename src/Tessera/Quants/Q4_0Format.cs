// GGUF type Q4_0: 32 values as 4-bit quants with one f16 scale, x = (q - 8)·d (gpt-oss-facts.md §3.3).
// Layout [d: f16][qs: 16 B], 18 bytes; the shared legacy rules live in LegacyBlockFormat (ggml-quants.c dequantize_row_q4_0 / quantize_row_q4_0_ref).

namespace Tessera.Quants;

/// <summary>Q4_0: 4-bit quants with one f16 scale per 32 values.</summary>
public sealed class Q4_0Format() : LegacyBlockFormat(GgmlType.Q4_0, bits: 4, affine: false);
