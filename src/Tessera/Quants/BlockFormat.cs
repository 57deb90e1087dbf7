// Shared frame of the block formats: row-length validation and the walk over blocks, so each format only says how one
// block is laid out (gpt-oss-facts.md §3.3-3.4). Geometry comes from GgmlTypeInfo, the single table of type sizes.

namespace Tessera.Quants;

/// <summary>Base of the block formats: validates rows and hands each block to the format.</summary>
public abstract class BlockFormat : IBlockFormat
{
    /// <summary>Sets up the format of <paramref name="type"/> with its ggml block geometry.</summary>
    protected BlockFormat(GgmlType type)
    {
        var info = GgmlTypeInfo.Get(type);
        Type = type;
        BlockSize = info.BlockSize;
        BytesPerBlock = info.BytesPerBlock;
    }

    /// <inheritdoc/>
    public GgmlType Type { get; }

    /// <inheritdoc/>
    public int BlockSize { get; }

    /// <inheritdoc/>
    public int BytesPerBlock { get; }

    /// <inheritdoc/>
    public virtual bool CanQuantize => false;

    /// <inheritdoc/>
    public void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = CountBlocks(src.Length, nameof(src), dst.Length, nameof(dst));
        for (int b = 0; b < blocks; b++)
            DequantizeBlock(src.Slice(b * BytesPerBlock, BytesPerBlock), dst.Slice(b * BlockSize, BlockSize));
    }

    /// <inheritdoc/>
    public void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!CanQuantize)
            throw new NotSupportedException($"Tessera cannot quantize to tensor type {Type} ({(uint)Type}); it can only read it");
        int blocks = CountBlocks(dst.Length, nameof(dst), src.Length, nameof(src));
        for (int b = 0; b < blocks; b++)
            QuantizeBlock(src.Slice(b * BlockSize, BlockSize), dst.Slice(b * BytesPerBlock, BytesPerBlock));
    }

    /// <summary>Decodes one block of <see cref="BytesPerBlock"/> bytes into <see cref="BlockSize"/> values.</summary>
    protected abstract void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values);

    /// <summary>Encodes <see cref="BlockSize"/> values into one block; formats with <see cref="CanQuantize"/> override it.</summary>
    protected virtual void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        throw new NotSupportedException($"{Type} has no quantizer");

    private int CountBlocks(int byteCount, string bytesName, int valueCount, string valuesName)
    {
        if (valueCount % BlockSize != 0)
            throw new ArgumentException(
                $"{Type} rows are whole blocks of {BlockSize} values, but {valuesName} has {valueCount} values", valuesName);
        int blocks = valueCount / BlockSize;
        long expectedBytes = (long)blocks * BytesPerBlock;
        if (byteCount != expectedBytes)
            throw new ArgumentException(
                $"{valueCount} {Type} values are {blocks} blocks of {BytesPerBlock} bytes = {expectedBytes} bytes, " +
                $"but {bytesName} has {byteCount} bytes", bytesName);
        return blocks;
    }
}
