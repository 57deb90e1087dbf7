// GGUF type Q5_0: 32 values as 5-bit quants with one f16 scale, x = (q - 16)·d (gpt-oss-facts.md §3.3).
// Layout [d: f16][qh: u32][qs: 16 B], 22 bytes; the shared legacy rules live in LegacyBlockFormat (ggml-quants.c dequantize_row_q5_0 / quantize_row_q5_0_ref).

namespace Tessera.Quants;

/// <summary>Q5_0: 5-bit quants with one f16 scale per 32 values.</summary>
public sealed class Q5_0Format() : LegacyBlockFormat(GgmlType.Q5_0, bits: 5, affine: false);
