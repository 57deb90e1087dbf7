// The ggml-exact dot products and activation quantisation: ties round to even as ggml-cpu's x86 quantiser does, and each
// kernel agrees with a plain dot product of the dequantised values to float rounding.

using Tessera.Backends.Cpu;
using Tessera.Quants;

namespace Tessera.Tests.GptOss;

public class GptOssGgmlDotTests
{
    [Fact]
    public void ActivationQuantisationRoundsHalvesToEven()
    {
        // amax = 127 gives the factor 127/amax = 1, so each value is its own quant: 2.5 → 2, 3.5 → 4, −0.5 → 0.
        var x = new float[32];
        x[0] = 127; x[1] = 2.5f; x[2] = 3.5f; x[3] = -0.5f; x[4] = -1.5f;
        var q = new sbyte[32];
        var d = new float[1];
        Q8_0Activations.Quantize(x, q, d);
        Assert.Equal(1f, d[0]);
        Assert.Equal(new sbyte[] { 127, 2, 4, 0, -2 }, q[..5]);
    }

    public static TheoryData<int> Lengths() => [32, 64, 96, 2880];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Q8_0AndMxfp4DotsAgreeWithAFloatDot(int n)
    {
        var rng = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var xq = new sbyte[n];
        var xd = new float[n / 32];
        Q8_0Activations.Quantize(x, xq, xd);
        var xhat = Enumerable.Range(0, n).Select(i => (double)xd[i / 32] * xq[i]).ToArray();

        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.MXFP4 })
        {
            var format = BlockFormats.Get(type);
            var bytes = new byte[n / 32 * format.BytesPerBlock];
            format.Quantize(Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), bytes);
            var w = new float[n];
            format.DequantizeRow(bytes, w);
            var wq = new sbyte[n];
            var wd = new float[n / 32];
            if (type == GgmlType.Q8_0) Q8_0Activations.DecodeQ8_0(bytes, wq, wd);
            else Q8_0Activations.DecodeMxfp4(bytes, wq, wd);

            var expected = Enumerable.Range(0, n).Sum(i => w[i] * xhat[i]);
            var row = new GgmlDot.QuantRow(wq, wd);
            var x8 = new GgmlDot.QuantRow(xq, xd);
            var actual = type == GgmlType.Q8_0 ? GgmlDot.Q8_0Q8_0(row, x8) : GgmlDot.Mxfp4Q8_0(row, x8);
            Assert.Equal(expected, actual, 1e-5 * Math.Sqrt(n));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void F32DotAgreesWithADoubleDot(int n)
    {
        var rng = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        Assert.Equal(Enumerable.Range(0, n).Sum(i => (double)a[i] * b[i]), GgmlDot.F32F32(a, b), 1e-5 * Math.Sqrt(n));
    }
}
