// GGUF type BF16: little-endian bfloat16, one value per "block" (gpt-oss-facts.md §3.2).
// Conversions are Bf16's, which follow ggml_compute_bf16_to_fp32 / ggml_compute_fp32_to_bf16.

namespace Tessera.Quants;

/// <summary>BF16: bfloat16 values.</summary>
public sealed class BF16Format() : BlockFormat(GgmlType.BF16)
{
    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) => values[0] = Bf16.Read(block);

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) => Bf16.Write(block, values[0]);
}
