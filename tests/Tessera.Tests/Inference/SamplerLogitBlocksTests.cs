// LogitBlocks, the sampler's one pass over the logits, at each vector width against plain references: the block maxima
// and the maximum, the report of NaN and infinities, and the blocks' masses within their stated error of
// Σ e^(x − reference) computed in double, for every length up to a few blocks, with NaN, infinities, blocks far above
// the ones before them and logits far below; and the cubic behind the masses over every mantissa.

using System.Runtime.Intrinsics;
using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplerLogitBlocksTests
{
    // By name: the width is internal, a theory's parameters public.
    public static TheoryData<string> Widths() => [nameof(LogitBlocks.Width.Scalar), nameof(LogitBlocks.Width.Vector256), nameof(LogitBlocks.Width.Vector512)];

    /// <summary>The width of that name, skipping the test where the machine does not accelerate it.</summary>
    internal static LogitBlocks.Width Accelerated(string name)
    {
        var width = Enum.Parse<LogitBlocks.Width>(name);
        SkipWithoutHardware(width);
        return width;
    }

    internal static void SkipWithoutHardware(LogitBlocks.Width width)
    {
        if (width == LogitBlocks.Width.Vector256 && !Vector256.IsHardwareAccelerated)
            Assert.Skip("256-bit vectors (AVX2) are not accelerated on this machine");
        if (width == LogitBlocks.Width.Vector512 && !Vector512.IsHardwareAccelerated)
            Assert.Skip("512-bit vectors (AVX-512) are not accelerated on this machine (or DOTNET_EnableAVX512=0)");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void TheBlocksMaximaChecksAndMassesMatchTheReferences(string widthName)
    {
        var width = Accelerated(widthName);
        var rng = new Random(11);
        foreach (int length in Enumerable.Range(0, 70).Concat([511, 512, 513, 1023, 1024, 1031, 1536, 1600, 2047, 2561]))
            for (int shape = 0; shape < 8; shape++)
            {
                var logits = new float[length];
                for (int i = 0; i < length; i++) logits[i] = (float)(rng.NextDouble() * 30 - 20);
                if (length > 0)
                    switch (shape)
                    {
                        case 1: logits[rng.Next(length)] = float.NegativeInfinity; break;
                        case 2: logits[rng.Next(length)] = float.NaN; break;
                        case 3: logits[rng.Next(length)] = float.PositiveInfinity; break;
                        case 4: Array.Fill(logits, float.NegativeInfinity, 0, Math.Min(length, 700)); break;   // whole blocks banned
                        case 5: logits[length - 1] = 150; break;                                          // far above the blocks before
                        case 6: for (int i = 0; i < length; i += 3) logits[i] -= 200; break;              // far below the maximum
                        case 7: logits[rng.Next(length)] = 0; logits[rng.Next(length)] = -0f; break;
                    }
                Check(logits, width, shape == 7 ? 0 : -1);
            }
    }

    private static void Check(float[] logits, LogitBlocks.Width width, float zeroMax)
    {
        int blocks = LogitBlocks.Count(logits.Length);
        var (maxima, sums, references) = (new float[blocks], new float[blocks], new float[blocks]);
        var max = LogitBlocks.Scan(logits, maxima, sums, references, withSums: true, width, out var special, out var margin);
        var withoutSums = new float[blocks];
        var max2 = LogitBlocks.Scan(logits, withoutSums, new float[blocks], new float[blocks], withSums: false, width, out var special2, out _);
        Assert.Equal(special, special2);

        var expected = LogitScan.Scalar(logits, out var nan, out var negativeInfinity);
        bool positiveInfinity = logits.Contains(float.PositiveInfinity);
        switch (special)
        {
            case LogitBlocks.Special.None: Assert.False(nan || negativeInfinity || positiveInfinity); break;
            case LogitBlocks.Special.NegativeInfinity: Assert.True(negativeInfinity && !nan && !positiveInfinity); break;
        }
        if (nan) Assert.Equal(LogitBlocks.Special.Unknown, special);
        if (nan) return;
        Assert.Equal(expected, max);
        Assert.Equal(expected, max2);
        if (zeroMax == 0 && max == 0) Assert.False(float.IsNegative(max), "the maximum 0 is +0, as MathF.Max gives it");
        for (int b = 0; b < blocks; b++)
        {
            var block = logits.AsSpan(b * LogitBlocks.Length, Math.Min(LogitBlocks.Length, logits.Length - b * LogitBlocks.Length));
            var blockMax = LogitScan.Scalar(block, out _, out _);
            Assert.True(blockMax == maxima[b] && blockMax == withoutSums[b], $"block {b} of {logits.Length}: {maxima[b]}, not {blockMax}");
            if (positiveInfinity) continue;
            // The reference: the largest logit before the block, or the block's own largest when that is far above it.
            double mass = 0, lost = 0;
            foreach (var x in block)
            {
                if (x == float.NegativeInfinity) continue;   // weighs 0 (against a reference of −infinity too)
                var weight = Math.Exp((double)x - references[b]);
                if (x - references[b] < -87) lost += weight;
                else mass += weight;
            }
            Assert.True(maxima[b] == float.NegativeInfinity || maxima[b] - references[b] <= 64, $"block {b}: reference {references[b]} too far below {maxima[b]}");
            Assert.True(sums[b] <= (mass + lost) * (1 + margin) && sums[b] >= mass * (1 - margin),
                $"block {b} of {logits.Length}: {sums[b]} against {mass} (+{lost} far below), margin {margin}");
        }
    }

    [Fact]
    public void TheWidthsAgree()
    {
        var rng = new Random(12);
        var logits = Enumerable.Range(0, 201_088).Select(_ => (float)(rng.NextDouble() * 40 - 30)).ToArray();
        int blocks = LogitBlocks.Count(logits.Length);
        float[]? firstMaxima = null, firstSums = null;
        foreach (var width in new[] { LogitBlocks.Width.Scalar, LogitBlocks.Width.Vector256, LogitBlocks.Width.Vector512 })
        {
            if (width == LogitBlocks.Width.Vector512 && !Vector512.IsHardwareAccelerated) continue;
            var (maxima, sums, references) = (new float[blocks], new float[blocks], new float[blocks]);
            LogitBlocks.Scan(logits, maxima, sums, references, withSums: true, width, out _, out var margin);
            firstMaxima ??= maxima;
            firstSums ??= sums;
            Assert.Equal(firstMaxima, maxima);
            for (int b = 0; b < blocks; b++) Assert.Equal(firstSums[b], sums[b], firstSums[b] * 2 * margin);
        }
    }

    [Fact]
    public void TheCubicIsWithinItsErrorOfTwoToThePowerOverEveryMantissa()
    {
        double worst = 0;
        for (int mantissa = 0; mantissa < 1 << 23; mantissa++)
        {
            float m = BitConverter.Int32BitsToSingle(0x3F80_0000 | mantissa);
            worst = Math.Max(worst, Math.Abs(LogitBlocks.Cubic(m) / Math.Pow(2, m - 1.0) - 1));
        }
        Assert.True(worst <= LogitBlocks.CubicError, $"the cubic is {worst} off");
    }
}
