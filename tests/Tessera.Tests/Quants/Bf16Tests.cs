// Bf16 against values worked out from the bfloat16 definition (upper half of a binary32) and ggml's rounding rule:
// round to nearest even on the dropped 16 bits, NaN kept and made quiet; then against ggml itself.

using Tessera.Quants;

namespace Tessera.Tests.Quants;

public class Bf16Tests
{
    [Fact]
    public void ToSingle_IsTheUpperHalfOfAFloat()
    {
        for (int h = 0; h <= ushort.MaxValue; h++)
            Assert.Equal((uint)h << 16, BitConverter.SingleToUInt32Bits(Bf16.ToSingle((ushort)h)));
        Assert.Equal(-3f, Bf16.ToSingle(0xC040));
    }

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1.0
    [InlineData(0x3F80_7FFFu, 0x3F80)] // below the tie
    [InlineData(0x3F80_8000u, 0x3F80)] // tie, kept bit even: stays
    [InlineData(0x3F81_8000u, 0x3F82)] // tie, kept bit odd: rounds up to even
    [InlineData(0x3F80_8001u, 0x3F81)] // above the tie
    [InlineData(0x3FFF_FFFFu, 0x4000)] // carry into the exponent: 1.99999988 -> 2.0
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float max rounds to inf
    [InlineData(0x7F80_0000u, 0x7F80)] // inf
    [InlineData(0x8000_0000u, 0x8000)] // -0
    [InlineData(0x0000_8000u, 0x0000)] // subnormal tie to even 0
    [InlineData(0x0001_8000u, 0x0002)] // subnormal tie to even 2
    [InlineData(0x7F80_0001u, 0x7FC0)] // signalling NaN: quiet bit set, low payload dropped
    [InlineData(0xFF81_0000u, 0xFFC1)] // NaN keeps its sign and top payload bits
    [InlineData(0x7FFF_FFFFu, 0x7FFF)] // NaN is never rounded into inf or a carry
    public void FromSingle_RoundsToNearestEvenAndKeepsNaNQuiet(uint floatBits, int expected) =>
        Assert.Equal((ushort)expected, Bf16.FromSingle(BitConverter.UInt32BitsToSingle(floatBits)));

    [Fact]
    public void MatchesGgml()
    {
        GgmlOracle.RequireAvailable();
        var rng = new Random(30);
        for (int i = 0; i < 1_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            Assert.Equal(GgmlOracle.Fp32ToBf16(f), Bf16.FromSingle(f));
        }
    }
}
