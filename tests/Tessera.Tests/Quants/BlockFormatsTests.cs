// The registry and the shared row contract: geometry agrees with GgmlTypeInfo, unsupported types fail with a message that
// names them, and every format rejects rows that are not whole blocks on both sides.

using Tessera.Quants;

namespace Tessera.Tests.Quants;

public class BlockFormatsTests
{
    // In ggml type id order.
    public static readonly TheoryData<GgmlType> Implemented =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K, GgmlType.BF16, GgmlType.MXFP4,
    ];

    public static readonly TheoryData<GgmlType> Quantizable =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q8_K, GgmlType.BF16, GgmlType.MXFP4,
    ];

    [Fact]
    public void All_ListsExactlyTheImplementedTypesInIdOrder() =>
        Assert.Equal(Implemented.Select(row => row.Data), BlockFormats.All.Select(f => f.Type));

    [Theory]
    [MemberData(nameof(Implemented))]
    public void Get_ReturnsTheFormatWithGgmlGeometry(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        var info = GgmlTypeInfo.Get(type);
        Assert.Equal(type, format.Type);
        Assert.Equal(info.BlockSize, format.BlockSize);
        Assert.Equal(info.BytesPerBlock, format.BytesPerBlock);
        Assert.Equal(Quantizable.Any(row => row.Data == type), format.CanQuantize);
    }

    [Fact]
    public void Get_NamesAnUnsupportedType()
    {
        var e = Assert.Throws<NotSupportedException>(() => BlockFormats.Get(GgmlType.IQ2_XXS));
        Assert.Equal("tensor type IQ2_XXS (16) cannot be dequantised by Tessera yet", e.Message);
        Assert.False(BlockFormats.TryGet(GgmlType.IQ2_XXS, out _));
    }

    [Fact]
    public void Get_NamesAnUnknownTypeId()
    {
        var e = Assert.Throws<NotSupportedException>(() => BlockFormats.Get((GgmlType)99));
        Assert.Equal("tensor type id 99 is not a ggml type Tessera knows", e.Message);
    }

    [Theory]
    [MemberData(nameof(Implemented))]
    public void DequantizeRow_RejectsRowsThatAreNotWholeBlocks(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        var bytes = new byte[3 * format.BytesPerBlock];
        var values = new float[3 * format.BlockSize];

        var e = Assert.Throws<ArgumentException>(() => format.DequantizeRow(bytes.AsSpan(1), values));
        Assert.Equal("src", e.ParamName);
        Assert.Contains($"{3 * format.BytesPerBlock} bytes, but src has {3 * format.BytesPerBlock - 1} bytes", e.Message);

        e = Assert.Throws<ArgumentException>(() => format.DequantizeRow(bytes, values.AsSpan(format.BlockSize)));
        Assert.Equal("src", e.ParamName); // two blocks of values, three blocks of bytes

        if (format.BlockSize > 1)
        {
            e = Assert.Throws<ArgumentException>(() => format.DequantizeRow(bytes, values.AsSpan(1)));
            Assert.Equal("dst", e.ParamName);
            Assert.Contains($"whole blocks of {format.BlockSize} values", e.Message);
        }

        format.DequantizeRow(bytes, values);
        format.DequantizeRow([], []);
    }

    [Theory]
    [MemberData(nameof(Quantizable))]
    public void Quantize_RejectsRowsThatAreNotWholeBlocks(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        var values = new float[2 * format.BlockSize];
        var bytes = new byte[2 * format.BytesPerBlock];

        var e = Assert.Throws<ArgumentException>(() => format.Quantize(values, bytes.AsSpan(1)));
        Assert.Equal("dst", e.ParamName);
        if (format.BlockSize > 1)
        {
            e = Assert.Throws<ArgumentException>(() => format.Quantize(values.AsSpan(1), bytes));
            Assert.Equal("src", e.ParamName);
        }

        format.Quantize(values, bytes);
        format.Quantize([], []);
    }

    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Quantize_FailsClearlyWhereThereIsNoQuantizer(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        var e = Assert.Throws<NotSupportedException>(() => format.Quantize(new float[256], new byte[format.BytesPerBlock]));
        Assert.Contains($"cannot quantize to tensor type {type}", e.Message);
    }
}
