// Quantize then dequantize for every format with a quantizer: the error of each value stays within what the format's
// step size allows (half a step, plus the rounding of stored f16 scales), on Gaussian rows at several magnitudes.

using Tessera.Quants;
using static Tessera.Tests.Quants.QuantTestData;

namespace Tessera.Tests.Quants;

public class RoundTripTests
{
    [Theory]
    [MemberData(nameof(BlockFormatsTests.Quantizable), MemberType = typeof(BlockFormatsTests))]
    public void ErrorStaysWithinTheStepOfEachBlock(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        int blockSize = Math.Max(32, format.BlockSize);
        var rng = new Random(7 + (int)type);
        foreach (float scale in (ReadOnlySpan<float>)[1e-3f, 1f, 300f])
        {
            float[] x = Enumerable.Range(0, 64 * blockSize).Select(_ => Gaussian(rng) * scale).ToArray();
            float[] y = Dequantize(type, Quantize(type, x));
            for (int b = 0; b < x.Length / blockSize; b++)
            {
                ReadOnlySpan<float> xb = x.AsSpan(b * blockSize, blockSize);
                float bound = Bound(type, xb);
                for (int j = 0; j < blockSize; j++)
                {
                    float err = MathF.Abs(y[b * blockSize + j] - xb[j]);
                    Assert.True(err <= bound, $"{type} block {b} value {j}: {xb[j]} came back as {y[b * blockSize + j]}, error {err} > {bound}");
                }
            }
        }
    }

    // Largest error a value of the block may have. The f16 scales add about 2^-11 of the block's range on top of the step.
    private static float Bound(GgmlType type, ReadOnlySpan<float> x)
    {
        float amax = 0, min = float.MaxValue, max = float.MinValue;
        foreach (float v in x)
        {
            amax = Math.Max(amax, MathF.Abs(v));
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        const float f16 = 1f / 1024;
        return type switch
        {
            GgmlType.F32 => 0,
            GgmlType.F16 => amax * f16, // per value the error is even smaller: half an ulp, 2^-11 relative
            GgmlType.BF16 => amax / 256,
            GgmlType.Q8_0 => amax / 127 * (0.5f + 127 * f16),
            GgmlType.Q8_K => amax / 127 * 0.51f,
            // Symmetric: steps of amax/2^(bits-1); the value opposite the largest one is capped one step short.
            GgmlType.Q4_0 => amax / 8 * (1 + 16 * f16),
            GgmlType.Q5_0 => amax / 16 * (1 + 32 * f16),
            GgmlType.Q4_1 => (max - min) / 15 * (0.5f + 15 * f16) + MathF.Abs(min) * f16,
            GgmlType.Q5_1 => (max - min) / 31 * (0.5f + 31 * f16) + MathF.Abs(min) * f16,
            // amax lies in [8, 16)·d: steps up to 4·d below 12·d (error 2·d = amax/4 at most), and values past 12·d lose
            // up to 4·d = amax/2.
            GgmlType.MXFP4 => amax / 2,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }
}
