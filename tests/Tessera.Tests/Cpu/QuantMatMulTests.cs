// The integer mat-mul kernels (Q8_0 and MXFP4 weights × Q8_0 activations): every ISA path this machine runs against the
// scalar reference, bit for bit, over block counts with odd tails, row counts and activation-row counts that leave
// partial tiles, and with scattered activation/output rows as the expert products use them.

using Tessera.Backends.Cpu;
using Tessera.Quants;

namespace Tessera.Tests.Cpu;

public unsafe class QuantMatMulTests
{
    public static TheoryData<GgmlType, int> Shapes()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.MXFP4 })
            foreach (var blocks in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 17, 90 })
                data.Add(type, blocks);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryIsaPathMatchesTheScalarReference(GgmlType type, int blocks)
    {
        var rng = new Random(blocks * 31 + (int)type);
        const int rows = 13, tokens = 9;
        int n = blocks * 32;
        using var weights = new CpuKernelData.Native(CpuKernelData.WeightRows(rng, type, rows, blocks));
        using var x = new Q8_0Rows();
        x.Reset(tokens, n);
        for (int t = 0; t < tokens; t++) x.Quantize(CpuIsa.Scalar, CpuKernelData.Floats(rng, n, 1 + t), t);

        foreach (int count in new[] { 1, 2, 3, 4, 5, 6, 7, 9 })
        {
            // Activation rows in a scrambled order, written to scrambled output rows.
            var xRows = Enumerable.Range(0, count).Select(i => (i * 5 + 2) % tokens).ToArray();
            var yRows = Enumerable.Range(0, count).Select(i => count - 1 - i).ToArray();
            var expected = Run(CpuIsa.Scalar, type, weights.Pointer, blocks, rows, x, xRows, yRows, 0, rows);
            foreach (var isa in CpuKernelData.FastPaths)
            {
                // Whole range, and a ragged split of rows, as the thread pool hands them out.
                Assert.Equal(expected, Run(isa, type, weights.Pointer, blocks, rows, x, xRows, yRows, 0, rows));
                var split = Run(isa, type, weights.Pointer, blocks, rows, x, xRows, yRows, 0, 5);
                var rest = Run(isa, type, weights.Pointer, blocks, rows, x, xRows, yRows, 5, rows);
                for (int i = 0; i < split.Length; i++)
                    if (i % rows >= 5) split[i] = rest[i];
                Assert.True(expected.AsSpan().SequenceEqual(split), $"{isa} {type} blocks {blocks} count {count} split rows");
            }
        }
    }

    private static float[] Run(CpuIsa isa, GgmlType type, byte* weights, int blocks, int rows, Q8_0Rows x, int[] xRows, int[] yRows, int rowStart, int rowEnd)
    {
        var y = new float[xRows.Length * rows];
        fixed (int* xr = xRows, yr = yRows)
        fixed (float* py = y)
        {
            var m = new QuantMatMul
            {
                Weights = weights,
                RowBytes = blocks * (type == GgmlType.Q8_0 ? 34 : 17),
                Blocks = blocks,
                XQuants = x.Quants,
                XStartMxfp4 = x.StartMxfp4,
                XStartQ8_0 = x.StartQ8_0,
                XScales = x.Scales,
                XRows = xr,
                Y = py,
                YRows = yr,
                YStride = rows,
                Count = xRows.Length,
            };
            if (type == GgmlType.Q8_0) Q8_0Q8_0wMatMul.Rows(isa, m, rowStart, rowEnd);
            else Q8_0Mxfp4wMatMul.Rows(isa, m, rowStart, rowEnd);
        }
        return y;
    }

    [Fact]
    public void TheReferenceAgreesWithAFloatDotOfTheDequantisedValues()
    {
        var rng = new Random(5);
        const int blocks = 90, rows = 4;
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.MXFP4 })
        {
            var bytes = CpuKernelData.WeightRows(rng, type, rows, blocks);
            using var weights = new CpuKernelData.Native(bytes);
            using var x = new Q8_0Rows();
            x.Reset(1, blocks * 32);
            x.Quantize(CpuIsa.Scalar, CpuKernelData.Floats(rng, blocks * 32), 0);
            var y = Run(CpuIsa.Scalar, type, weights.Pointer, blocks, rows, x, [0], [0], 0, rows);
            var format = BlockFormats.Get(type);
            var w = new float[blocks * 32];
            int rowBytes = bytes.Length / rows;
            for (int r = 0; r < rows; r++)
            {
                format.DequantizeRow(bytes.AsSpan(r * rowBytes, rowBytes), w);
                double dot = 0;
                for (int i = 0; i < w.Length; i++) dot += (double)w[i] * x.ScaleRow(0)[i / 32] * x.QuantRow(0)[i];
                Assert.Equal(dot, y[r], Math.Abs(dot) * 1e-5 + 1e-4);
            }
        }
    }
}
