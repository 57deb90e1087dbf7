// MXFP4 blocks built by hand (gpt-oss-facts.md §3.4): every nibble, and the E8M0 scales at the edges: e = 0 and 1 (float
// subnormal scales), 127, 128 and 255 (2^127, where doubled values overflow to inf). The quantizer is checked against a
// literal transcription of ggml's rule: the first of the 16 nibbles with the smallest float |kvalues[i]·d - x|.

using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class Mxfp4Tests
{
    private static readonly sbyte[] KValues = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    // Nibble j in the low half of byte j and nibble 15 - j in its high half: element j has nibble j, element 16 + j nibble 15 - j.
    private static byte[] EveryNibble(byte e) => [e, .. Enumerable.Range(0, 16).Select(j => (byte)(j | (15 - j) << 4))];

    private static float[] DecodeEveryNibble(byte e) => Dequantize(GgmlType.MXFP4, EveryNibble(e));

    [Fact]
    public void E128_ScaleOneGivesTheDoubledE2M1Table()
    {
        float[] y = DecodeEveryNibble(128);
        AssertBitsEqual([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12], y.AsSpan(0, 16));
        AssertBitsEqual([-12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1, 0], y.AsSpan(16));
    }

    [Fact]
    public void E127_ScaleOneHalfGivesTheTrueE2M1Values()
    {
        float[] y = DecodeEveryNibble(127);
        AssertBitsEqual([0, 0.5f, 1, 1.5f, 2, 3, 4, 6, 0, -0.5f, -1, -1.5f, -2, -3, -4, -6], y.AsSpan(0, 16));
    }

    [Fact]
    public void NegativeZeroNibbleDecodesToPositiveZero()
    {
        // kvalues[8] is the integer 0, so 0·d is +0.0 whatever the scale.
        foreach (byte e in (byte[])[0, 1, 127, 128, 255])
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(DecodeEveryNibble(e)[8]));
    }

    [Fact]
    public void E0_ScaleIsTheSubnormal2PowMinus128()
    {
        // 2^-128 = 0x00200000. Multiples: 2^-127 = 0x00400000, 3·2^-128 = 0x00600000, 2^-126 = 0x00800000 (smallest
        // normal), 6·2^-128 = 1.5·2^-126 = 0x00C00000, 8·2^-128 = 2^-125 = 0x01000000, 12·2^-128 = 1.5·2^-125 = 0x01400000.
        uint[] positive = [0, 0x0020_0000, 0x0040_0000, 0x0060_0000, 0x0080_0000, 0x00C0_0000, 0x0100_0000, 0x0140_0000];
        AssertNibbleBits(DecodeEveryNibble(0), positive);
    }

    [Fact]
    public void E1_ScaleIsTheSubnormal2PowMinus127()
    {
        // 2^-127 = 0x00400000, 2·2^-127 = 2^-126 = 0x00800000, 3·2^-127 = 1.5·2^-126 = 0x00C00000, 4·2^-127 = 2^-125,
        // 6·2^-127 = 1.5·2^-125 = 0x01400000, 8·2^-127 = 2^-124 = 0x01800000, 12·2^-127 = 1.5·2^-124 = 0x01C00000.
        uint[] positive = [0, 0x0040_0000, 0x0080_0000, 0x00C0_0000, 0x0100_0000, 0x0140_0000, 0x0180_0000, 0x01C0_0000];
        AssertNibbleBits(DecodeEveryNibble(1), positive);
    }

    [Fact]
    public void E255_IsAScaleOf2Pow127NotNaN()
    {
        // 1·2^127 = 0x7F000000; 2·2^127 and up overflow to inf.
        uint inf = 0x7F80_0000;
        AssertNibbleBits(DecodeEveryNibble(255), [0, 0x7F00_0000, inf, inf, inf, inf, inf, inf]);
    }

    // Nibbles 0..7 must give the positive bit patterns and nibbles 9..15 the same with the sign bit set.
    private static void AssertNibbleBits(float[] y, uint[] positive)
    {
        for (int n = 0; n < 8; n++)
        {
            Assert.Equal(positive[n], BitConverter.SingleToUInt32Bits(y[n]));
            if (n > 0)
                Assert.Equal(positive[n] | 0x8000_0000, BitConverter.SingleToUInt32Bits(y[n + 8]));
        }
    }

    [Theory]
    [InlineData(0, 0x0020_0000u)]
    [InlineData(1, 0x0040_0000u)]
    [InlineData(2, 0x0080_0000u)]
    [InlineData(127, 0x3F00_0000u)]
    [InlineData(128, 0x3F80_0000u)]
    [InlineData(255, 0x7F00_0000u)]
    public void Scale_Is2PowEMinus128(byte e, uint bits) => Assert.Equal(bits, BitConverter.SingleToUInt32Bits(Mxfp4Format.Scale(e)));

    [Theory]
    [InlineData(0f, 0)]
    [InlineData(1f, 125)] // amax = 8·2^-3
    [InlineData(6f, 127)] // floor(log2 6) = 2: d = 0.5, and 6 = 12·d exactly
    [InlineData(7.99f, 127)]
    [InlineData(8f, 128)]
    [InlineData(1e38f, 251)] // floor(log2 1e38) = 126
    [InlineData(2.3509887e-38f, 0)] // 2^-125: the smallest amax with a non-negative exponent
    [InlineData(1.1754944e-38f, 255)] // 2^-126: floor - 2 + 127 = -1, wrapped by ggml's byte cast
    [InlineData(1e-45f, 232)] // 2^-149: -24 wrapped
    public void ExponentFor_IsFloorLog2MinusTwoPlus127(float amax, int e) => Assert.Equal((byte)e, Mxfp4Format.ExponentFor(amax));

    [Fact]
    public void ExponentFor_UsesFloatLog2WhichRoundsUpJustBelowAPowerOfTwo()
    {
        // log2f(8 - ulp) is 3 in float (the exact 2.99999991 is not representable there), so ggml picks e = 128, not 127.
        Assert.Equal(128, Mxfp4Format.ExponentFor(MathF.BitDecrement(8f)));
        // Below 1 the float log2 has room for the difference: log2f(1 - ulp) < 0.
        Assert.Equal(124, Mxfp4Format.ExponentFor(MathF.BitDecrement(1f)));
    }

    [Fact]
    public void Quantize_HandWorkedBlock()
    {
        // amax = 6 gives e = 127, d = 0.5: x = 2·E2M1 halves. 0.75 is a tie between 0.5 and 1 -> smaller magnitude (nibble 1);
        // -0.25 is a tie between 0 and -0.5 -> nibble 0; 5 ties 4 and 6 -> 4 (nibble 6); -7 (the amax, still e = 127) is
        // past -6 -> -6 (nibble 15); 0.3 -> 0.5 (nibble 1); -1.5 (nibble 11).
        float[] x = [6f, 0.75f, -0.25f, 5f, -7f, -0f, 0.3f, -1.5f, .. new float[24]];
        x[16] = -6f;
        byte[] nibblesLow = [7, 1, 0, 6, 15, 0, 1, 11, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] nibblesHigh = [15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] expected = [127, .. Enumerable.Range(0, 16).Select(j => (byte)(nibblesLow[j] | nibblesHigh[j] << 4))];
        Assert.Equal(expected, Quantize(GgmlType.MXFP4, x));
    }

    // ggml's best_index_mxfp4, transcribed: a float search for the first smallest error.
    private static int BestIndexBySearch(float x, float d)
    {
        int best = 0;
        float bestErr = MathF.Abs(KValues[0] * d - x);
        for (int i = 1; i < 16; i++)
        {
            float err = MathF.Abs(KValues[i] * d - x);
            if (err < bestErr)
            {
                best = i;
                bestErr = err;
            }
        }

        return best;
    }

    private static byte[] QuantizeBySearch(ReadOnlySpan<float> x)
    {
        var blocks = new byte[x.Length / 32 * 17];
        for (int b = 0; b < x.Length / 32; b++)
        {
            ReadOnlySpan<float> xb = x.Slice(32 * b, 32);
            float amax = 0;
            foreach (float v in xb)
                amax = Math.Max(amax, MathF.Abs(v));
            byte e = Mxfp4Format.ExponentFor(amax);
            float d = Mxfp4Format.Scale(e);
            blocks[17 * b] = e;
            for (int j = 0; j < 16; j++)
                blocks[17 * b + 1 + j] = (byte)(BestIndexBySearch(xb[j], d) | BestIndexBySearch(xb[j + 16], d) << 4);
        }

        return blocks;
    }

    [Fact]
    public void Quantize_AgreesWithTheLiteralSearchOnRandomRows()
    {
        var rng = new Random(39);
        float[] x = Row(rng, 20_000, 32);
        Assert.Equal(QuantizeBySearch(x), Quantize(GgmlType.MXFP4, x));
    }

    [Fact]
    public void Quantize_AgreesWithTheLiteralSearchAtEveryMidpointAndItsNeighbours()
    {
        // For each exponent, blocks led by 15·d (which fixes e) holding values on, and one ulp either side of, the midpoints
        // between representable values: ties are where a shortcut would most likely part from the search. e stops at 252,
        // where 15·d is still finite.
        float[] midpoints = [0.5f, 1.5f, 2.5f, 3.5f, 5f, 7f, 10f, 12f, 14f];
        var rows = new List<float>();
        for (int e = 0; e <= 252; e++)
        {
            float d = Mxfp4Format.Scale((byte)e);
            var values = new List<float>();
            foreach (float m in midpoints)
            {
                float v = m * d;
                values.AddRange([v, MathF.BitDecrement(v), MathF.BitIncrement(v), -v, -MathF.BitDecrement(v), -MathF.BitIncrement(v)]);
            }

            for (int i = 0; i < values.Count; i += 31)
            {
                var chunk = values.Skip(i).Take(31).ToList();
                rows.AddRange([15 * d, .. chunk, .. new float[31 - chunk.Count]]);
            }
        }

        float[] x = [.. rows];
        Assert.Equal(0, x.Length % 32);
        Assert.Equal(QuantizeBySearch(x), Quantize(GgmlType.MXFP4, x));
    }
}
