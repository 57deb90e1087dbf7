// F32Exp, the fast path's softmax exp: within 2 ulps of e^x (double precision) where the result is a normal float, exactly
// 1 at 0 and exactly 0 below −87.3 and at −∞, and every vector width gives the scalar's bits lane for lane.

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public unsafe class F32ExpTests
{
    [Fact]
    public void ExpIsWithinTwoUlpsAndExactAtTheEnds()
    {
        Assert.Equal(1f, F32Exp.Exp(0f));
        Assert.Equal(0f, F32Exp.Exp(float.NegativeInfinity));
        Assert.Equal(0f, F32Exp.Exp(-100f));
        var rng = new Random(5);
        for (int i = 0; i < 200_000; i++)
        {
            float x = i < 100_000 ? (float)(rng.NextDouble() * -87.3) : (float)(rng.NextDouble() * 176 - 88);
            float got = F32Exp.Exp(x);
            if (x < -87.3f)
            {
                Assert.Equal(0f, got);   // flushed: below the smallest normal float
                continue;
            }
            double truth = Math.Exp(x);
            double ulp = MathF.BitIncrement((float)truth) - (float)truth;
            Assert.True(Math.Abs(got - truth) <= 2 * ulp, $"exp({x}) = {got}, true {truth}");
        }
        // The vector widths are the scalar lane for lane.
        var xs = Enumerable.Range(0, 64).Select(i => i == 3 ? float.NegativeInfinity : (float)(rng.NextDouble() * 180 - 95)).ToArray();
        var scalar = xs.Select(F32Exp.Exp).ToArray();
        fixed (float* p = xs)
        {
            for (int i = 0; i < 64; i += 16)
            {
                Assert.True(scalar.AsSpan(i, 4).SequenceEqual(AsArray(F32Exp.Exp(Vector128.Load(p + i)))));
                Assert.True(scalar.AsSpan(i, 8).SequenceEqual(AsArray(F32Exp.Exp(Vector256.Load(p + i)))));
                Assert.True(scalar.AsSpan(i, 16).SequenceEqual(AsArray(F32Exp.Exp(Vector512.Load(p + i)))));
            }
        }

        static float[] AsArray<T>(T v) where T : struct => MemoryMarshal.Cast<T, float>(new[] { v }).ToArray();
    }
}
