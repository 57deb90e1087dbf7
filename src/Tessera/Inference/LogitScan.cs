// One pass over the logits that the sampler needs before anything else: the maximum, and whether any logit is NaN or
// −infinity; then where the maximum first occurs. 256-bit vectors with a scalar tail; Scalar and Array.IndexOf are the
// references the tests compare them with.

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

    /// <summary>As <see cref="Max(ReadOnlySpan{float}, out bool, out bool)"/>, and in the same pass the first index of the maximum (<paramref name="argmax"/>, the
    /// lowest on ties; meaningless when there is a NaN or no logit).</summary>
    public static float Max(ReadOnlySpan<float> logits, out int argmax, out bool hasNaN, out bool hasNegativeInfinity)
    {
        if (!Vector256.IsHardwareAccelerated || logits.Length < Vector256<float>.Count)
        {
            var m = Scalar(logits, out hasNaN, out hasNegativeInfinity);
            argmax = IndexOf(logits, m);
            return m;
        }
        var negativeInfinity = Vector256.Create(float.NegativeInfinity);
        var max = negativeInfinity;
        var at = Vector256<int>.Zero;   // per lane: the first vector index where its maximum was seen
        var nan = Vector256<float>.Zero;
        var banned = Vector256<float>.Zero;
        var i = 0;
        for (; i <= logits.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.Create(logits.Slice(i, Vector256<float>.Count));
            var greater = Vector256.GreaterThan(v, max);
            max = Vector256.ConditionalSelect(greater, v, max);
            at = Vector256.ConditionalSelect(greater.AsInt32(), Vector256.Create(i), at);
            nan |= ~Vector256.Equals(v, v);
            banned |= Vector256.Equals(v, negativeInfinity);
        }
        var result = Scalar(logits[i..], out hasNaN, out hasNegativeInfinity);
        hasNaN |= nan.ExtractMostSignificantBits() != 0;
        hasNegativeInfinity |= banned.ExtractMostSignificantBits() != 0;
        for (var lane = 0; lane < Vector256<float>.Count; lane++) result = MathF.Max(result, max[lane]);
        argmax = int.MaxValue;
        for (var lane = 0; lane < Vector256<float>.Count; lane++)
            if (max[lane] == result) argmax = Math.Min(argmax, at[lane] + lane);
        if (argmax == int.MaxValue) argmax = i + IndexOf(logits[i..], result);   // only in the tail
        return result;
    }

    /// <summary>The first index holding <paramref name="value"/> (== as floats compare, so 0 finds −0), or −1.</summary>
    public static int IndexOf(ReadOnlySpan<float> logits, float value)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(value);
            for (; i <= logits.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var hits = Vector256.Equals(Vector256.Create(logits.Slice(i, Vector256<float>.Count)), target).ExtractMostSignificantBits();
                if (hits != 0) return i + System.Numerics.BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; i < logits.Length; i++)
            if (logits[i] == value) return i;
        return -1;
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
