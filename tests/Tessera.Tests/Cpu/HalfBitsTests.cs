// The vector F16 conversions: every half widens to the float System.Half gives (on the finite-only path too, which
// flags infinities and NaNs instead), and floats (random, near every rounding boundary, subnormal, huge, infinite, NaN)
// narrow to the half System.Half rounds them to, at every vector width.

using System.Runtime.Intrinsics;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public unsafe class HalfBitsTests
{
    [Fact]
    public void EveryHalfWidensExactly()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        var expected = halves.Select(h => BitConverter.SingleToUInt32Bits((float)BitConverter.UInt16BitsToHalf(h))).ToArray();
        fixed (ushort* p = halves)
        {
            for (int i = 0; i < halves.Length; i += 16)
            {
                Check(Bits(V512.LoadHalf(p + i).Value), i);
                Check(Bits(V256.LoadHalf(p + i).Value), i);
                Check(Bits(V128.LoadHalf(p + i).Value), i);
                Assert.Equal(expected[i], BitConverter.SingleToUInt32Bits(HalfBits.ToSingle(halves[i])));
            }
        }

        void Check(uint[] got, int at)
        {
            for (int j = 0; j < got.Length; j++) Assert.True(expected[at + j] == got[j], $"half 0x{at + j:X4}: 0x{got[j]:X8}, expected 0x{expected[at + j]:X8}");
        }
    }

    [Fact]
    public void EveryFiniteHalfWidensExactlyOnTheFinitePathAndTheOthersAreFlagged()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        fixed (ushort* p = halves)
        {
            for (int i = 0; i < halves.Length; i += 16)
            {
                // A vector of halves holds an infinity or NaN where its exponent bits are all ones.
                bool Special(int count) => halves.AsSpan(i, count).ToArray().Any(h => (h & 0x7C00) == 0x7C00);
                V512 s512 = default;
                V256 s256 = default;
                V128 s128 = default;
                Check(Bits(V512.LoadHalfFinite(p + i, ref s512).Value), V512.SeenInfinityOrNaN(s512), Special(16));
                Check(Bits(V256.LoadHalfFinite(p + i, ref s256).Value), V256.SeenInfinityOrNaN(s256), Special(8));
                Check(Bits(V128.LoadHalfFinite(p + i, ref s128).Value), V128.SeenInfinityOrNaN(s128), Special(4));

                void Check(uint[] got, bool flagged, bool special)
                {
                    Assert.True(flagged == special, $"halves from 0x{i:X4}: flagged {flagged}");
                    for (int j = 0; j < got.Length && !special; j++)
                    {
                        uint want = BitConverter.SingleToUInt32Bits((float)BitConverter.UInt16BitsToHalf(halves[i + j]));
                        Assert.True(want == got[j], $"half 0x{i + j:X4}: 0x{got[j]:X8}, expected 0x{want:X8}");
                    }
                }
            }
        }
    }

    [Fact]
    public void FloatsNarrowAsSystemHalfRoundsThem()
    {
        var rng = new Random(7);
        var floats = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 65504f, 65519.99f, 65520f, 1e-8f, -3e-8f, 5.96e-8f, 2.98e-8f, float.Epsilon, float.MaxValue };
        // Every half and the midpoints around it (ties, just below, just above).
        for (int h = 0; h < 0x7C00; h++)
        {
            float a = (float)BitConverter.UInt16BitsToHalf((ushort)h), b = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            float mid = (a + b) / 2;
            floats.AddRange([a, -a, mid, -mid, BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(mid) + 1), BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(mid) - 1)]);
        }
        for (int i = 0; i < 200_000; i++) floats.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)));
        while (floats.Count % 16 != 0) floats.Add(1);
        var x = floats.ToArray();
        var halves = new ushort[16];
        fixed (float* p = x)
        fixed (ushort* h = halves)
        {
            for (int i = 0; i < x.Length; i += 16)
            {
                V512.StoreHalf(V512.Load(p + i), h);
                Check(i, 16);
                V256.StoreHalf(V256.Load(p + i), h);
                Check(i, 8);
                V128.StoreHalf(V128.Load(p + i), h);
                Check(i, 4);
            }
        }

        void Check(int at, int count)
        {
            for (int j = 0; j < count; j++)
            {
                var want = BitConverter.HalfToUInt16Bits((Half)x[at + j]);
                Assert.True(want == halves[j], $"{x[at + j]:R} (0x{BitConverter.SingleToUInt32Bits(x[at + j]):X8}): 0x{halves[j]:X4}, expected 0x{want:X4}");
            }
        }
    }

    private static uint[] Bits(Vector128<float> v) => Enumerable.Range(0, 4).Select(i => BitConverter.SingleToUInt32Bits(v[i])).ToArray();
    private static uint[] Bits(Vector256<float> v) => Enumerable.Range(0, 8).Select(i => BitConverter.SingleToUInt32Bits(v[i])).ToArray();
    private static uint[] Bits(Vector512<float> v) => Enumerable.Range(0, 16).Select(i => BitConverter.SingleToUInt32Bits(v[i])).ToArray();
}
