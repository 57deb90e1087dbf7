// Q4_K, Q5_K, Q6_K and Q8_K super-blocks built by hand (gpt-oss-facts.md §3.3; ggml-common.h block_q4_K .. block_q8_K):
// the packed 6-bit scales and mins for sub-blocks k < 4 and k >= 4, Q5_K's fifth bits, Q6_K's four quarter rules.

using System.Buffers.Binary;
using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class KQuantTests
{
    // Sub-block scales and mins chosen so that k >= 4 needs its two high bits: 17 = 01_0001, 33 = 10_0001, 50 = 11_0010,
    // 63 = 11_1111; 20 = 01_0100, 40 = 10_1000, 60 = 11_1100.
    private static readonly int[] Sc = [1, 2, 3, 4, 17, 33, 50, 63];
    private static readonly int[] Mn = [5, 6, 7, 8, 20, 40, 60, 63];

    // Bytes 0..3: sc_k | (sc_{k+4} >> 4) << 6. Bytes 4..7: mn_k | (mn_{k+4} >> 4) << 6.
    // Bytes 8..11: (sc_{k+4} & 0xF) | (mn_{k+4} & 0xF) << 4.
    private static readonly byte[] PackedScales =
    [
        0x41, 0x82, 0xC3, 0xC4, // 1|1<<6, 2|2<<6, 3|3<<6, 4|3<<6
        0x45, 0x86, 0xC7, 0xC8, // 5|1<<6, 6|2<<6, 7|3<<6, 8|3<<6
        0x41, 0x81, 0xC2, 0xFF, // 1|4<<4, 1|8<<4, 2|12<<4, 15|15<<4
    ];

    // Quant bytes: byte 32c + l holds sub-block 2c's quant l in its low nibble and sub-block 2c+1's in its high nibble.
    private static readonly byte[] Qs = Enumerable.Range(0, 128).Select(i => (byte)((i * 7) & 0xFF)).ToArray();

    private static int Nibble(int k, int l) => Qs[32 * (k / 2) + l] >> (4 * (k % 2)) & 0xF;

    [Fact]
    public void ScaleMin_UnpacksSixBitsForLowAndHighSubBlocks()
    {
        for (int k = 0; k < 8; k++)
            Assert.Equal((Sc[k], Mn[k]), KScaleMinFormat.ScaleMin(PackedScales, k));
    }

    [Fact]
    public void Q4_K_DecodesDTimesScaleTimesQuantMinusDminTimesMin()
    {
        // d = 1 (0x3C00), dmin = 0.5 (0x3800): x = sc_k·q - 0.5·mn_k.
        byte[] block = [.. U16(0x3C00), .. U16(0x3800), .. PackedScales, .. Qs];
        var expected = new float[256];
        for (int k = 0; k < 8; k++)
            for (int l = 0; l < 32; l++)
                expected[32 * k + l] = (1f * Sc[k]) * Nibble(k, l) - 0.5f * Mn[k];
        float[] y = Dequantize(GgmlType.Q4_K, block);
        AssertBitsEqual(expected, y);

        // Two values by hand. Sub-block 4, l = 5: qs[64 + 5] = 69·7 mod 256 = 0xE3, low nibble 3: 17·3 - 0.5·20 = 41.
        // Sub-block 7, l = 0: qs[96] = 672 mod 256 = 0xA0, high nibble 10: 63·10 - 0.5·63 = 598.5.
        Assert.Equal(41f, y[4 * 32 + 5]);
        Assert.Equal(598.5f, y[7 * 32]);
    }

    [Fact]
    public void Q5_K_AddsTheFifthBitFromBitKOfQhL()
    {
        // d = 0.25 (0x3400), dmin = 2 (0x4000); qh[l] = l·37 mod 256: sub-block k takes bit k of qh[l] as 16.
        byte[] qh = Enumerable.Range(0, 32).Select(l => (byte)(l * 37)).ToArray();
        byte[] block = [.. U16(0x3400), .. U16(0x4000), .. PackedScales, .. qh, .. Qs];
        var expected = new float[256];
        for (int k = 0; k < 8; k++)
            for (int l = 0; l < 32; l++)
                expected[32 * k + l] = (0.25f * Sc[k]) * (Nibble(k, l) + ((qh[l] >> k & 1) == 1 ? 16 : 0)) - 2f * Mn[k];
        AssertBitsEqual(expected, Dequantize(GgmlType.Q5_K, block));
    }

    [Fact]
    public void Q6_K_FourQuarterRules()
    {
        // In each half n, ql[l] = 0x21 (low 1, high 2), ql[l+32] = 0x43 (low 3, high 4), qh[l] = 0xE4 = 11_10_01_00, so:
        //   quarter 0 (l):      low of ql[l]    | 0 << 4 = 1,  q = 1 - 32  = -31
        //   quarter 1 (l+32):   low of ql[l+32] | 1 << 4 = 19, q = 19 - 32 = -13
        //   quarter 2 (l+64):   high of ql[l]   | 2 << 4 = 34, q = 34 - 32 = 2
        //   quarter 3 (l+96):   high of ql[l+32]| 3 << 4 = 52, q = 52 - 32 = 20
        // Half 1 uses qh = 0x1B = 00_01_10_11 instead: quarters get top bits 3, 2, 1, 0 -> q = 17, 3, -14, -28.
        // Scales (i8) s_i = (i + 1)·(-1)^i; value 32·r + l of half n uses s_{8n + 2r + l/16}; d = 0.5 (0x3800).
        byte[] ql = [.. Enumerable.Repeat((byte)0x21, 32), .. Enumerable.Repeat((byte)0x43, 32)];
        sbyte[] scales = Enumerable.Range(0, 16).Select(i => (sbyte)(i % 2 == 0 ? i + 1 : -(i + 1))).ToArray();
        byte[] block =
        [
            .. ql, .. ql,
            .. Enumerable.Repeat((byte)0xE4, 32), .. Enumerable.Repeat((byte)0x1B, 32),
            .. scales.Select(s => (byte)s),
            .. U16(0x3800),
        ];
        int[][] quarterQ = [[-31, -13, 2, 20], [17, 3, -14, -28]];
        var expected = new float[256];
        for (int n = 0; n < 2; n++)
            for (int r = 0; r < 4; r++)
                for (int l = 0; l < 32; l++)
                    expected[128 * n + 32 * r + l] = 0.5f * scales[8 * n + 2 * r + l / 16] * quarterQ[n][r];
        AssertBitsEqual(expected, Dequantize(GgmlType.Q6_K, block));
    }

    [Fact]
    public void Q8_K_DecodesF32ScaleTimesQuant()
    {
        // d = 0.25 as f32; q_j = j - 128; the group sums after the quants do not take part in decoding.
        byte[] block = [.. F32(0.25f), .. Enumerable.Range(0, 256).Select(j => (byte)(j - 128)), .. new byte[32]];
        AssertBitsEqual(Enumerable.Range(0, 256).Select(j => 0.25f * (j - 128)).ToArray(), Dequantize(GgmlType.Q8_K, block));
    }

    [Fact]
    public void Q8_K_QuantizeRoundsHalvesToEvenAndSumsGroupsOf16()
    {
        // The first value of largest magnitude is -127, so iscale = -127/-127 = 1, d = 1, and q = nearest_int(x):
        // 2.5 -> 2, 3.5 -> 4, -0.5 -> 0, 127 -> 127. Group 0 sums -127 + 2 + 4 + 0 + 127 = 6; group 1 holds q = 1 sixteen times.
        var x = new float[256];
        float[] head = [-127f, 2.5f, 3.5f, -0.5f, 127f];
        head.CopyTo(x, 0);
        Array.Fill(x, 1f, 16, 16);
        byte[] block = Quantize(GgmlType.Q8_K, x);

        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(block));
        Assert.Equal(new byte[] { 0x81, 2, 4, 0, 127 }, block[4..9]);
        Assert.Equal(6, BinaryPrimitives.ReadInt16LittleEndian(block.AsSpan(260)));
        Assert.Equal(16, BinaryPrimitives.ReadInt16LittleEndian(block.AsSpan(262)));
        Assert.Equal(new byte[28], block[264..]);
    }
}
