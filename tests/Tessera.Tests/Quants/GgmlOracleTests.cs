// Every block format against llama.cpp's ggml on the same bytes (GgmlOracle): dequantising random blocks (random scales
// included, so subnormal, inf and NaN scales turn up) and quantizing rows of many shapes must agree bit for bit.

using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class GgmlOracleTests
{
    public static readonly TheoryData<GgmlType> Dequantizable =
    [
        GgmlType.F16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q4_K,
        GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K, GgmlType.BF16, GgmlType.MXFP4,
    ];

    public static readonly TheoryData<GgmlType> Quantizable =
    [
        GgmlType.F16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q8_K,
        GgmlType.BF16, GgmlType.MXFP4,
    ];

    [Theory]
    [MemberData(nameof(Dequantizable))]
    public void DequantizeRow_MatchesGgmlOnRandomBlocks(GgmlType type)
    {
        GgmlOracle.RequireAvailable();
        var format = BlockFormats.Get(type);
        var rng = new Random((int)type);
        int blocks = 65536 / format.BlockSize * 4;
        byte[] src = RandomBytes(rng, blocks * format.BytesPerBlock);

        var expected = new float[blocks * format.BlockSize];
        GgmlOracle.DequantizeRow(type, src, expected);
        var actual = new float[expected.Length];
        format.DequantizeRow(src, actual);

        AssertBitsEqual(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Quantizable))]
    public void Quantize_MatchesGgmlReference(GgmlType type)
    {
        GgmlOracle.RequireAvailable();
        var format = BlockFormats.Get(type);
        var rng = new Random(1000 + (int)type);
        // Row() works in blocks of 32 values; K-quant rows need 256, element types take any length.
        float[] x = Row(rng, 4096, Math.Max(32, format.BlockSize));

        var expected = new byte[x.Length / format.BlockSize * format.BytesPerBlock];
        GgmlOracle.QuantizeRow(type, x, expected);
        byte[] actual = Quantize(type, x);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Mxfp4_QuantizeMatchesGgmlAtExponentEdges()
    {
        // Blocks whose amax sits at, just below and just above each power of two (where log2f rounding picks e), plus the
        // wrapped exponents of amax below 2^-125.
        GgmlOracle.RequireAvailable();
        var rng = new Random(3939);
        var x = new List<float>();
        for (int k = -149; k < 128; k++)
        {
            float p = MathF.ScaleB(1f, k);
            foreach (float amax in (ReadOnlySpan<float>)[p, MathF.BitDecrement(p), MathF.BitDecrement(MathF.BitDecrement(p)), MathF.BitIncrement(p)])
            {
                x.Add(rng.Next(2) == 0 ? amax : -amax);
                for (int j = 1; j < 32; j++)
                    x.Add((rng.NextSingle() * 2 - 1) * amax);
            }
        }

        var expected = new byte[x.Count / 32 * 17];
        GgmlOracle.QuantizeRow(GgmlType.MXFP4, x.ToArray(), expected);
        Assert.Equal(expected, Quantize(GgmlType.MXFP4, x.ToArray()));
    }
}
