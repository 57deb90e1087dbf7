// Fp16 against bit-level decoders written from IEEE 754 binary16 here, independently of System.Half: every one of the
// 65536 halves, and the rounding boundaries of float -> half (midpoints between adjacent halves and their neighbours).

using Tessera.Quants;

namespace Tessera.Tests.Quants;

public class Fp16Tests
{
    // binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. A NaN comes back quiet (fraction MSB set), as F16C does.
    private static uint DecodeByHand(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        int exponent = (h >> 10) & 0x1F;
        uint fraction = (uint)h & 0x3FF;
        if (exponent == 0x1F)
            return sign | 0x7F80_0000 | fraction << 13 | (fraction != 0 ? 0x0040_0000u : 0);
        if (exponent != 0)
            return sign | (uint)(exponent - 15 + 127) << 23 | fraction << 13;
        if (fraction == 0)
            return sign;
        // Subnormal fraction·2^-24: shift the leading one up to the implicit position.
        int shift = 0;
        while ((fraction & 0x400) == 0)
        {
            fraction <<= 1;
            shift++;
        }

        return sign | (uint)(-14 - shift + 127) << 23 | (fraction & 0x3FF) << 13;
    }

    // Round to nearest even, computed on the exact value in double: count units of the half's spacing at that magnitude.
    private static ushort EncodeByHand(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        int sign = (int)(bits >> 16) & 0x8000;
        if (float.IsNaN(f))
            return (ushort)(sign | 0x7E00 | (int)(bits >> 13) & 0x3FF);
        double v = Math.Abs((double)f);
        if (v < Math.ScaleB(1.0, -14))
            return (ushort)(sign | (int)Math.Round(v / Math.ScaleB(1.0, -24), MidpointRounding.ToEven)); // 1024 is 2^-14, encoded right
        int e = Math.ILogB(v);
        double units = Math.Round(v / Math.ScaleB(1.0, e - 10), MidpointRounding.ToEven);
        if (units == 2048)
        {
            e++;
            units = 1024;
        }

        return e > 15 ? (ushort)(sign | 0x7C00) : (ushort)(sign | (e + 15) << 10 | ((int)units - 1024));
    }

    [Fact]
    public void ToSingle_IsExactForEveryHalf()
    {
        for (int h = 0; h <= ushort.MaxValue; h++)
            Assert.Equal(DecodeByHand((ushort)h), BitConverter.SingleToUInt32Bits(Fp16.ToSingle((ushort)h)));
    }

    [Theory]
    [InlineData(0x3C00, 1f)]
    [InlineData(0xC000, -2f)]
    [InlineData(0x3555, 0.333251953125f)]
    [InlineData(0x7BFF, 65504f)]
    [InlineData(0x0400, 6.103515625e-05f)] // smallest normal 2^-14
    [InlineData(0x0001, 5.9604645e-08f)] // smallest subnormal 2^-24
    [InlineData(0x83FF, -6.0975552e-05f)] // largest subnormal, negative: -1023·2^-24
    [InlineData(0x7C00, float.PositiveInfinity)]
    [InlineData(0xFC00, float.NegativeInfinity)]
    public void ToSingle_KnownValues(int bits, float expected) => Assert.Equal(expected, Fp16.ToSingle((ushort)bits));

    [Fact]
    public void ToSingle_KeepsTheSignOfZeroAndQuietsNaN()
    {
        Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(Fp16.ToSingle(0x8000)));
        Assert.Equal(0x7FC0_2000u, BitConverter.SingleToUInt32Bits(Fp16.ToSingle(0x7C01))); // signalling -> quiet, payload kept
        Assert.Equal(0xFFFF_E000u, BitConverter.SingleToUInt32Bits(Fp16.ToSingle(0xFFFF)));
    }

    [Theory]
    [InlineData(1f, 0x3C00)]
    [InlineData(65504f, 0x7BFF)]
    [InlineData(65519.996f, 0x7BFF)] // below the midpoint to 65536
    [InlineData(65520f, 0x7C00)] // the midpoint rounds to even, which is inf
    [InlineData(1e10f, 0x7C00)]
    [InlineData(-1e-10f, 0x8000)]
    [InlineData(2.9802322e-08f, 0x0000)] // 2^-25, half of the smallest subnormal: tie to even 0
    [InlineData(2.9802326e-08f, 0x0001)] // just above it
    [InlineData(8.940697e-08f, 0x0002)] // 1.5·2^-24: tie to even 2
    [InlineData(1.00048828125f, 0x3C00)] // 1 + 2^-11: tie to even 1.0
    [InlineData(1.00146484375f, 0x3C02)] // 1 + 3·2^-11: tie to even 1 + 2^-9
    public void FromSingle_RoundsToNearestEven(float value, int expected) => Assert.Equal((ushort)expected, Fp16.FromSingle(value));

    [Theory]
    [InlineData(0x7F80_0001u, 0x7E00)] // signalling NaN: made quiet, low payload bits dropped
    [InlineData(0x7FC0_0000u, 0x7E00)]
    [InlineData(0xFFA0_0000u, 0xFF00)] // sign and top payload bits kept, as F16C's vcvtps2ph does
    [InlineData(0x7FFF_FFFFu, 0x7FFF)]
    public void FromSingle_NaNKeepsSignAndTopPayloadLikeF16C(uint floatBits, int expected) =>
        Assert.Equal((ushort)expected, Fp16.FromSingle(BitConverter.UInt32BitsToSingle(floatBits)));

    [Fact]
    public void FromSingle_MatchesHandRoundingAtEveryBoundary()
    {
        // Each half h, the midpoint to the next half up, and one float ulp either side of both.
        for (int h = 0; h < 0x7C00; h++)
        {
            float value = Fp16.ToSingle((ushort)h);
            float next = h + 1 == 0x7C00 ? 65536f : Fp16.ToSingle((ushort)(h + 1));
            float mid = (float)(((double)value + next) / 2); // exact: halves have 11 significant bits
            foreach (float f in (ReadOnlySpan<float>)[value, mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid), MathF.BitIncrement(value)])
            {
                Assert.Equal(EncodeByHand(f), Fp16.FromSingle(f));
                Assert.Equal(EncodeByHand(-f), Fp16.FromSingle(-f));
            }
        }
    }

    [Fact]
    public void FromSingle_MatchesHandRoundingOnRandomFloats()
    {
        var rng = new Random(16);
        for (int i = 0; i < 1_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            Assert.Equal(EncodeByHand(f), Fp16.FromSingle(f));
        }
    }

    [Fact]
    public void MatchesGgml()
    {
        GgmlOracle.RequireAvailable();
        for (int h = 0; h <= ushort.MaxValue; h++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(GgmlOracle.Fp16ToFp32((ushort)h)), BitConverter.SingleToUInt32Bits(Fp16.ToSingle((ushort)h)));

        // ggml-base's software float -> half canonicalises NaN (F16C does not), so NaNs are left to the F16C test above.
        var rng = new Random(17);
        for (int i = 0; i < 1_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            if (!float.IsNaN(f))
                Assert.Equal(GgmlOracle.Fp32ToFp16(f), Fp16.FromSingle(f));
        }
    }
}
