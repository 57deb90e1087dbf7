// Shared inputs and checks for the block-format tests: seeded random rows of several shapes (the cases quantizers get
// wrong: ties, zeros, tiny and huge magnitudes) and a bit-for-bit float comparison that reports the first difference.

using Tessera.Quants;

namespace Tessera.Tests.Quants;

internal static class QuantTestData
{
    public static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    /// <summary>
    /// A row of <paramref name="blocks"/> blocks of <paramref name="blockSize"/> values; each block draws one of several
    /// shapes at a random scale, so one row covers ordinary weights and the edge cases.
    /// </summary>
    public static float[] Row(Random rng, int blocks, int blockSize)
    {
        var row = new float[blocks * blockSize];
        for (int b = 0; b < blocks; b++)
        {
            Span<float> x = row.AsSpan(b * blockSize, blockSize);
            float scale = MathF.ScaleB(1f, rng.Next(-20, 21));
            switch (rng.Next(8))
            {
                case 0: // all zero, with some negative zeros
                    for (int j = 0; j < x.Length; j++) x[j] = rng.Next(2) == 0 ? 0f : -0f;
                    break;
                case 1: // half-integers and integers: exact ties after scaling
                    for (int j = 0; j < x.Length; j++) x[j] = (rng.Next(-32, 33) / 2f) * scale;
                    break;
                case 2: // tiny: subnormal and near-subnormal magnitudes
                    for (int j = 0; j < x.Length; j++) x[j] = Gaussian(rng) * MathF.ScaleB(1f, rng.Next(-149, -110));
                    break;
                case 3: // huge, near the top of the float range
                    for (int j = 0; j < x.Length; j++) x[j] = Gaussian(rng) * 1e37f;
                    break;
                case 4: // one outlier
                    for (int j = 0; j < x.Length; j++) x[j] = Gaussian(rng) * scale;
                    x[rng.Next(x.Length)] = 40 * scale;
                    break;
                case 5: // all positive, offset from zero
                    for (int j = 0; j < x.Length; j++) x[j] = (3 + rng.NextSingle()) * scale;
                    break;
                default:
                    for (int j = 0; j < x.Length; j++) x[j] = Gaussian(rng) * scale;
                    break;
            }
        }

        return row;
    }

    public static byte[] RandomBytes(Random rng, int count)
    {
        var bytes = new byte[count];
        rng.NextBytes(bytes);
        return bytes;
    }

    public static void AssertBitsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what = "value")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = BitConverter.SingleToUInt32Bits(expected[i]), a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a)
                Assert.Fail($"{what} {i}: expected {expected[i]:R} (0x{e:X8}), got {actual[i]:R} (0x{a:X8})");
        }
    }

    public static float[] Dequantize(GgmlType type, ReadOnlySpan<byte> blocks)
    {
        var format = BlockFormats.Get(type);
        var values = new float[blocks.Length / format.BytesPerBlock * format.BlockSize];
        format.DequantizeRow(blocks, values);
        return values;
    }

    public static byte[] Quantize(GgmlType type, ReadOnlySpan<float> values)
    {
        var format = BlockFormats.Get(type);
        var blocks = new byte[values.Length / format.BlockSize * format.BytesPerBlock];
        format.Quantize(values, blocks);
        return blocks;
    }

    /// <summary>Little-endian bytes of a 16-bit pattern, for building blocks by hand.</summary>
    public static byte[] U16(ushort bits) => [(byte)bits, (byte)(bits >> 8)];

    public static byte[] F32(float value) => BitConverter.GetBytes(value);
}
