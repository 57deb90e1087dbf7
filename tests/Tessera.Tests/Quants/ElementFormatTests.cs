// F32, F16 and BF16 rows: one value per two or four little-endian bytes, decoded bit for bit (gpt-oss-facts.md §3.2).

using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class ElementFormatTests
{
    [Fact]
    public void F32_CopiesBitsIncludingNaNPayloads()
    {
        float nan = BitConverter.UInt32BitsToSingle(0x7FA0_0001); // signalling NaN: must not be touched
        byte[] bytes = [.. F32(1.5f), .. F32(-0f), .. F32(nan)];
        AssertBitsEqual([1.5f, -0f, nan], Dequantize(GgmlType.F32, bytes));
        Assert.Equal(bytes, Quantize(GgmlType.F32, [1.5f, -0f, nan]));
    }

    [Fact]
    public void F16_DecodesHalves()
    {
        byte[] bytes = [.. U16(0x3C00), .. U16(0xC000), .. U16(0x0001), .. U16(0x7C00)];
        AssertBitsEqual([1f, -2f, MathF.ScaleB(1f, -24), float.PositiveInfinity], Dequantize(GgmlType.F16, bytes));
        Assert.Equal(bytes, Quantize(GgmlType.F16, [1f, -2f, MathF.ScaleB(1f, -24), 1e6f]));
    }

    [Fact]
    public void BF16_DecodesUpperHalves()
    {
        byte[] bytes = [.. U16(0x3F80), .. U16(0xC040), .. U16(0x7F80)];
        AssertBitsEqual([1f, -3f, float.PositiveInfinity], Dequantize(GgmlType.BF16, bytes));
        Assert.Equal(bytes, Quantize(GgmlType.BF16, [1.00390625f, -3f, float.PositiveInfinity])); // 1 + 2^-8 ties to 1
    }
}
