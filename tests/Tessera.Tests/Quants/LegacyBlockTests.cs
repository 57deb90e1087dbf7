// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 blocks built byte by byte, with the expected values written from the format definitions
// (gpt-oss-facts.md §3.3; ggml-common.h block layouts): nibble order, the fifth bits in qh, scale and minimum.

using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class LegacyBlockTests
{
    [Fact]
    public void Q4_0_LowNibblesThenHighNibbles()
    {
        // d = 0.5 (half 0x3800); qs[j] = j | (15 - j) << 4, so x_j = (j - 8)·0.5 and x_{j+16} = (15 - j - 8)·0.5.
        byte[] block = [.. U16(0x3800), .. Enumerable.Range(0, 16).Select(j => (byte)(j | (15 - j) << 4))];
        var expected = new float[32];
        for (int j = 0; j < 16; j++)
        {
            expected[j] = (j - 8) * 0.5f;
            expected[j + 16] = (7 - j) * 0.5f;
        }

        AssertBitsEqual(expected, Dequantize(GgmlType.Q4_0, block));
    }

    [Fact]
    public void Q4_0_ZeroQuantWithNegativeScaleIsNegativeZero()
    {
        // ggml computes (q - 8)·d; with d = -1 (0xBC00) and q = 8 that is -0.0, which a "+ 0 minimum" would lose.
        byte[] block = [.. U16(0xBC00), .. Enumerable.Repeat((byte)0x88, 16)];
        Assert.All(Dequantize(GgmlType.Q4_0, block), x => Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(x)));
    }

    [Fact]
    public void Q4_1_ScaleAndMinimum()
    {
        // d = 0.25 (0x3400), m = -1 (0xBC00); qs[j] = 0xC3: x_j = 3·0.25 - 1 = -0.25, x_{j+16} = 12·0.25 - 1 = 2.
        byte[] block = [.. U16(0x3400), .. U16(0xBC00), .. Enumerable.Repeat((byte)0xC3, 16)];
        float[] expected = [.. Enumerable.Repeat(-0.25f, 16), .. Enumerable.Repeat(2f, 16)];
        AssertBitsEqual(expected, Dequantize(GgmlType.Q4_1, block));
    }

    [Fact]
    public void Q5_0_FifthBitsComeFromQh()
    {
        // d = 2 (0x4000); qh = 0x80000001 (bytes 01 00 00 80): only x_0 and x_31 have the fifth bit.
        // qs[j] = 0x5A: low nibble 10, high nibble 5. x_0 = (10 + 16 - 16)·2 = 20; x_1..15 = (10 - 16)·2 = -12;
        // x_16..30 = (5 - 16)·2 = -22; x_31 = (5 + 16 - 16)·2 = 10.
        byte[] block = [.. U16(0x4000), 0x01, 0x00, 0x00, 0x80, .. Enumerable.Repeat((byte)0x5A, 16)];
        float[] expected = [20f, .. Enumerable.Repeat(-12f, 15), .. Enumerable.Repeat(-22f, 15), 10f];
        AssertBitsEqual(expected, Dequantize(GgmlType.Q5_0, block));
    }

    [Fact]
    public void Q5_1_FifthBitsComeFromQh()
    {
        // d = 0.5 (0x3800), m = 3 (0x4200); qh = 0x00010000 (bytes 00 00 01 00): only x_16 has the fifth bit.
        // qs[j] = 0x37: x_0..15 = 7·0.5 + 3 = 6.5; x_16 = (3 + 16)·0.5 + 3 = 12.5; x_17..31 = 3·0.5 + 3 = 4.5.
        byte[] block = [.. U16(0x3800), .. U16(0x4200), 0x00, 0x00, 0x01, 0x00, .. Enumerable.Repeat((byte)0x37, 16)];
        float[] expected = [.. Enumerable.Repeat(6.5f, 16), 12.5f, .. Enumerable.Repeat(4.5f, 15)];
        AssertBitsEqual(expected, Dequantize(GgmlType.Q5_1, block));
    }

    [Fact]
    public void Q8_0_SignedBytesTimesScale()
    {
        // d = 0.125 (0x3000); q_j = j·8 - 128 as i8: x_j = (8j - 128)/8 = j - 16.
        byte[] block = [.. U16(0x3000), .. Enumerable.Range(0, 32).Select(j => (byte)(sbyte)(8 * j - 128))];
        AssertBitsEqual(Enumerable.Range(0, 32).Select(j => j - 16f).ToArray(), Dequantize(GgmlType.Q8_0, block));
    }

    [Fact]
    public void Q8_0_QuantizeRoundsHalvesAwayFromZero()
    {
        // amax = 127, so d = 1 (0x3C00) and q = roundf(x): 2.5 -> 3, -2.5 -> -3, 0.5 -> 1, -0.5 -> -1, 1.49 -> 1.
        float[] x = [127f, -127f, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, -0f, .. Enumerable.Repeat(0f, 24)];
        byte[] expected = [.. U16(0x3C00), 127, unchecked((byte)-127), 3, unchecked((byte)-3), 1, 0xFF, 1, 0, .. new byte[24]];
        Assert.Equal(expected, Quantize(GgmlType.Q8_0, x));
    }

    [Fact]
    public void Q8_0_QuantizeAllZerosGivesZeroScale() =>
        Assert.Equal(new byte[34], Quantize(GgmlType.Q8_0, new float[32]));

    [Fact]
    public void Q4_0_QuantizeMapsTheLargestMagnitudeToQuantZero()
    {
        // The first value of largest magnitude is -8, so d = -8/-8 = 1 (0x3C00) and q = min(15, trunc(x + 8.5)):
        // -8 -> 0, 7 -> 15, 7.4 -> 15, -0.5 -> 8, -0.6 -> 7, 0.5 -> 9, 8 -> 16 capped to 15.
        float[] x = [-8f, 7f, 7.4f, -0.5f, -0.6f, 0.5f, 8f, .. new float[25]];
        int[] q = [0, 15, 15, 8, 7, 9, 15, .. Enumerable.Repeat(8, 25)];
        byte[] expected = [.. U16(0x3C00), .. Enumerable.Range(0, 16).Select(j => (byte)(q[j] | q[j + 16] << 4))];
        Assert.Equal(expected, Quantize(GgmlType.Q4_0, x));
    }

    [Fact]
    public void Q5_1_QuantizeSpreadsMinToMaxOver31Steps()
    {
        // min = -1, max = 30: d = 31/31 = 1 (0x3C00), m = -1 (0xBC00), q = trunc(x + 1 + 0.5).
        // x_j = j - 1 gives q_j = j, so quants 16..31 set their fifth bit: qh = 0xFFFF0000.
        float[] x = Enumerable.Range(0, 32).Select(j => j - 1f).ToArray();
        byte[] expected =
        [
            .. U16(0x3C00), .. U16(0xBC00), 0x00, 0x00, 0xFF, 0xFF,
            .. Enumerable.Range(0, 16).Select(j => (byte)(j | (j + 16 & 0xF) << 4)),
        ];
        Assert.Equal(expected, Quantize(GgmlType.Q5_1, x));
    }
}
