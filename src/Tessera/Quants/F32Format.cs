// GGUF type F32: little-endian IEEE binary32, one value per "block" (gpt-oss-facts.md §3.2).
// Copied bit for bit both ways, NaN payloads included, as ggml does.

using System.Buffers.Binary;

namespace Tessera.Quants;

/// <summary>F32: plain little-endian floats.</summary>
public sealed class F32Format() : BlockFormat(GgmlType.F32)
{
    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) =>
        values[0] = BinaryPrimitives.ReadSingleLittleEndian(block);

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        BinaryPrimitives.WriteSingleLittleEndian(block, values[0]);
}
