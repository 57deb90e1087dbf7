// The activation quantiser: every ISA path gives the scalar reference's quants, scales and group-sum starts, for rows of
// one block up to thousands of values, with zeros, ties and outliers.

using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public class F32Q8_0QuantizeTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(96)]
    [InlineData(2880)]
    [InlineData(4096)]
    public void EveryIsaPathMatchesTheScalarReference(int n)
    {
        var rng = new Random(n);
        var x = CpuKernelData.Floats(rng, n);
        for (int i = 0; i < 32; i++) x[i] = i == 0 ? 127 : i * 0.5f - 8;     // a block of exact ties
        if (n > 64) x.AsSpan(32, 32).Clear();                                // and one of zeros
        using var expected = new Q8_0Rows();
        expected.Reset(1, n);
        expected.Quantize(CpuIsa.Scalar, x, 0);
        foreach (var isa in CpuKernelData.FastPaths)
        {
            using var got = new Q8_0Rows();
            got.Reset(1, n);
            got.Quantize(isa, x, 0);
            Assert.True(expected.QuantRow(0).SequenceEqual(got.QuantRow(0)), $"{isa}: quants");
            Assert.True(expected.ScaleRow(0).SequenceEqual(got.ScaleRow(0)), $"{isa}: scales");
            Assert.True(expected.StartMxfp4Row(0).SequenceEqual(got.StartMxfp4Row(0)), $"{isa}: MXFP4 starts");
            Assert.True(expected.StartQ8_0Row(0).SequenceEqual(got.StartQ8_0Row(0)), $"{isa}: Q8_0 starts");
        }
    }
}
