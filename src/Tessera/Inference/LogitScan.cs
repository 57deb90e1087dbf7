// One pass over the logits that the sampler needs before anything else: the maximum, and whether any logit is NaN or
// −infinity. 256-bit vectors with a scalar tail; Scalar is the reference the tests compare it with.

using System.Runtime.Intrinsics;

namespace Tessera.Inference;

internal static class LogitScan
{
    /// <summary>The largest logit (−infinity for none; meaningless when <paramref name="hasNaN"/>), and whether any
    /// logit is NaN or −infinity.</summary>
    public static float Max(ReadOnlySpan<float> logits, out bool hasNaN, out bool hasNegativeInfinity)
    {
        if (!Vector256.IsHardwareAccelerated || logits.Length < Vector256<float>.Count)
            return Scalar(logits, out hasNaN, out hasNegativeInfinity);

        var negativeInfinity = Vector256.Create(float.NegativeInfinity);
        var max = negativeInfinity;
        var nan = Vector256<float>.Zero;
        var banned = Vector256<float>.Zero;
        var i = 0;
        for (; i <= logits.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.Create(logits.Slice(i, Vector256<float>.Count));
            max = Vector256.Max(max, v);
            nan |= ~Vector256.Equals(v, v);
            banned |= Vector256.Equals(v, negativeInfinity);
        }
        var result = Scalar(logits[i..], out hasNaN, out hasNegativeInfinity);
        for (var lane = 0; lane < Vector256<float>.Count; lane++) result = MathF.Max(result, max[lane]);
        hasNaN |= nan.ExtractMostSignificantBits() != 0;
        hasNegativeInfinity |= banned.ExtractMostSignificantBits() != 0;
        return result;
    }

    public static float Scalar(ReadOnlySpan<float> logits, out bool hasNaN, out bool hasNegativeInfinity)
    {
        var max = float.NegativeInfinity;
        hasNaN = false;
        hasNegativeInfinity = false;
        foreach (var logit in logits)
        {
            max = MathF.Max(max, logit);
            hasNaN |= float.IsNaN(logit);
            hasNegativeInfinity |= logit == float.NegativeInfinity;
        }
        return max;
    }
}
