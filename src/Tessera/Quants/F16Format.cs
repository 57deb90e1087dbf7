// GGUF type F16: little-endian IEEE half, one value per "block" (gpt-oss-facts.md §3.2).
// Conversions are Fp16's: exact widening, round-to-nearest-even narrowing as ggml's GGML_FP32_TO_FP16 with F16C.

namespace Tessera.Quants;

/// <summary>F16: IEEE half-precision values.</summary>
public sealed class F16Format() : BlockFormat(GgmlType.F16)
{
    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) => values[0] = Fp16.Read(block);

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) => Fp16.Write(block, values[0]);
}
