// The contract every ggml tensor element format meets: how a row of blocks turns into floats, and back where Tessera can
// write the format. Implementations are the scalar references (bit-exact with ggml-quants.c) that faster kernels are tested
// against; gpt-oss-facts.md §3.3-3.4 gives the layouts.

namespace Tessera.Quants;

/// <summary>A ggml block format: a fixed number of values packed into a fixed number of bytes.</summary>
public interface IBlockFormat
{
    /// <summary>The ggml type this format reads and writes.</summary>
    GgmlType Type { get; }

    /// <summary>Values per block (1 for plain element types such as F16).</summary>
    int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    int BytesPerBlock { get; }

    /// <summary>Whether <see cref="Quantize"/> is available for this format.</summary>
    bool CanQuantize { get; }

    /// <summary>
    /// Decodes whole blocks: <paramref name="src"/> holds n blocks and <paramref name="dst"/> receives n × <see cref="BlockSize"/>
    /// values, exactly as ggml's <c>dequantize_row_*</c> would produce them.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are not n whole blocks on both sides.</exception>
    void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst);

    /// <summary>
    /// Encodes whole blocks: <paramref name="src"/> holds n × <see cref="BlockSize"/> values and <paramref name="dst"/> receives
    /// n blocks, byte for byte as ggml's <c>quantize_row_*_ref</c> would write them.
    /// </summary>
    /// <exception cref="NotSupportedException"><see cref="CanQuantize"/> is false.</exception>
    /// <exception cref="ArgumentException">The lengths are not n whole blocks on both sides.</exception>
    void Quantize(ReadOnlySpan<float> src, Span<byte> dst);
}
