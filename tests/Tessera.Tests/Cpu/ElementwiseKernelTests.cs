// The element-wise CPU kernels (RMSNorm, RoPE, SwiGLU-OAI, the F32 arithmetic, F16 row conversions, the F32 router
// mat-mul): every ISA path this machine runs gives the scalar reference's bits, for every length from 0 to a few hundred
// (all vector tails) and the gpt-oss sizes.

using Tessera.Backends;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public unsafe class ElementwiseKernelTests
{
    public static IEnumerable<int> Lengths => Enumerable.Range(0, 70).Concat([95, 96, 97, 127, 128, 129, 255, 256, 257, 2880, 4096]);

    private static void Same(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void RmsNormMatchesTheReference()
    {
        var rng = new Random(1);
        foreach (int n in Lengths.Where(n => n > 0))
        {
            var x = CpuKernelData.Floats(rng, n, 3);
            var w = CpuKernelData.Floats(rng, n);
            var expected = new float[n];
            F32RmsNorm.F32(x, w, 1e-5f, expected);
            foreach (var isa in CpuKernelData.FastPaths)
            {
                var y = new float[n];
                F32RmsNorm.Row(isa, x, w, 1e-5f, y);
                Same(expected, y, $"{isa} n={n}");
            }
        }
    }

    [Fact]
    public void SwiGluMatchesTheReference()
    {
        var rng = new Random(2);
        foreach (int n in Lengths)
        {
            var gate = CpuKernelData.Floats(rng, n, 12);
            var up = CpuKernelData.Floats(rng, n, 12);
            var expected = new float[n];
            F32SwiGluOai.F32(gate, up, 1.702f, 7f, expected);
            foreach (var isa in CpuKernelData.FastPaths)
            {
                var y = new float[n];
                F32SwiGluOai.Run(isa, gate, up, 1.702f, 7f, y);
                Same(expected, y, $"{isa} n={n}");
            }
        }
    }

    [Fact]
    public void ArithmeticMatchesTheReference()
    {
        var rng = new Random(3);
        foreach (int n in Lengths)
        {
            var x = CpuKernelData.Floats(rng, n);
            var y = CpuKernelData.Floats(rng, n);
            float w = 0.3f;
            var add = (float[])x.Clone();
            var scale = new float[n];
            var addScaled = (float[])x.Clone();
            F32Arithmetic.Add(CpuIsa.Scalar, add, y);
            F32Arithmetic.Scale(CpuIsa.Scalar, scale, y, w);
            F32Arithmetic.AddScaled(CpuIsa.Scalar, addScaled, y, w);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(x[i] + y[i], add[i]);
                Assert.Equal(y[i] * w, scale[i]);
                Assert.Equal(x[i] + y[i] * w, addScaled[i]);
            }
            foreach (var isa in CpuKernelData.FastPaths)
            {
                var a = (float[])x.Clone();
                F32Arithmetic.Add(isa, a, y);
                Same(add, a, $"{isa} add n={n}");
                var s = new float[n];
                F32Arithmetic.Scale(isa, s, y, w);
                Same(scale, s, $"{isa} scale n={n}");
                var m = (float[])x.Clone();
                F32Arithmetic.AddScaled(isa, m, y, w);
                Same(addScaled, m, $"{isa} add scaled n={n}");
            }
        }
    }

    [Fact]
    public void F16RowsConvertLikeSystemHalf()
    {
        var rng = new Random(4);
        foreach (int n in Lengths)
        {
            var x = CpuKernelData.Floats(rng, n, 70000);
            var expected = x.Select(v => (Half)v).ToArray();
            var back = expected.Select(h => (float)h).ToArray();
            foreach (var isa in CpuIsaSupport.Supported)
            {
                var h = new Half[n];
                F16Convert.Narrow(isa, x, h);
                Assert.True(expected.AsSpan().SequenceEqual(h), $"{isa} narrow n={n}");
                var f = new float[n];
                F16Convert.Widen(isa, h, f);
                Same(back, f, $"{isa} widen n={n}");
            }
        }
    }

    [Fact]
    public void RopeMatchesYarnRopeRotateNeox()
    {
        var rng = new Random(5);
        foreach (int d in new[] { 2, 8, 16, 34, 64, 128 })
        {
            var rope = new YarnRope(d, 150000, 32, 4096);
            var interleaved = new float[d];
            rope.CosSin(777, interleaved);
            var cos = Enumerable.Range(0, d / 2).Select(i => interleaved[2 * i]).ToArray();
            var sin = Enumerable.Range(0, d / 2).Select(i => interleaved[2 * i + 1]).ToArray();
            var row = CpuKernelData.Floats(rng, d * 3);
            var expected = (float[])row.Clone();
            for (int h = 0; h < 3; h++) rope.RotateNeox(expected.AsSpan(h * d, d), interleaved);
            foreach (var isa in CpuIsaSupport.Supported)
            {
                var got = (float[])row.Clone();
                F32Rope.Row(isa, got, d, cos, sin);
                Same(expected, got, $"{isa} d={d}");
            }
        }
    }

    [Fact]
    public void F32MatMulMatchesTheReference()
    {
        var rng = new Random(6);
        foreach (int n in new[] { 8, 16, 24, 2880 })
        {
            const int rows = 7, tokens = 3;
            var w = CpuKernelData.Floats(rng, rows * n);
            var x = CpuKernelData.Floats(rng, tokens * n);
            var expected = new float[tokens * rows];
            fixed (float* pw = w, px = x, py = expected)
                F32F32wMatMul.Rows(CpuIsa.Scalar, pw, n, px, tokens, py, rows, 0, rows);
            foreach (var isa in CpuKernelData.FastPaths)
            {
                var y = new float[tokens * rows];
                fixed (float* pw = w, px = x, py = y)
                {
                    F32F32wMatMul.Rows(isa, pw, n, px, tokens, py, rows, 0, 3);
                    F32F32wMatMul.Rows(isa, pw, n, px, tokens, py, rows, 3, rows);
                }
                Same(expected, y, $"{isa} n={n}");
            }
        }
    }
}
