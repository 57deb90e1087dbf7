// The sampler's one full pass over the logits (issue 13): per block of 512 logits the largest, and on request the block's
// mass Σ e^(x − r) to within 10^-4, against the largest logit r of the blocks before it, without an exp (below). The
// maximum of everything comes out of the block maxima; a sampler that needs the tokens near the maximum revisits only
// the blocks whose maximum is near it, and bounds the mass of the others from their sums.
//
// The checks come almost free: the lanes also add up the logits, a sum that stays finite unless a logit is NaN or
// infinite (or they are huge); −infinity alone leaves it −infinity. Anything else is Special.Unknown, and the caller
// looks again with LogitScan. Max here is the instruction's (MaxNative): with a NaN around, the maximum means nothing,
// which the check reports.
//
// The mass without exp (Schraudolph's trick, refined): y = (x − r)·log2(e)·2^23 + 127·2^23 is one FMA; the integer ⌊y⌋
// has the bits of the float 2^k·(1 + f) with k + f = y/2^23 − 127, e^(x − r) = 2^(k + f). Its exponent bits alone are
// 2^k, its mantissa bits under the exponent of 1 are m = 1 + f, and a cubic in m gives 2^f to within 7.5·10^-5 (checked
// over every mantissa by the tests). About a dozen instructions a vector with the max and the check; below 2^-126 (87
// logits under r) a token counts 0.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Inference;

internal static class LogitBlocks
{
    /// <summary>Logits per block.</summary>
    public const int Length = 512;

    /// <summary>How far (in logits) a block's maximum may lie above its reference before its sum is computed again
    /// against its own maximum (the integer ⌊y⌋ overflows at about 89).</summary>
    private const float Headroom = 64;

    /// <summary>2^23·log2(e) as a float; the reference's term of y is computed in double with this same value.</summary>
    private const float Scale = 12102203.16f;
    private const double Bias = 127.0 * (1 << 23);

    /// <summary>The cubic's coefficients (a minimax fit of 2^(m − 1) on [1, 2), rounded to float) and its largest
    /// relative error, evaluated in float with FMA as the kernels do.</summary>
    private const float C0 = 0.4521343f, C1 = 0.4777728f, C2 = -0.008006413f, C3 = 0.07802452f;
    public const double CubicError = 7.5e-5;
    private const int ExponentBits = 0x7F80_0000, One = 0x3F80_0000;

    /// <summary>The vector widths a scan can use (tests pick each; the sampler the widest the machine accelerates).</summary>
    public enum Width { Scalar, Vector256, Vector512 }

    public static Width Widest { get; } =
        Vector512.IsHardwareAccelerated ? Width.Vector512 : Vector256.IsHardwareAccelerated ? Width.Vector256 : Width.Scalar;

    /// <summary>What the pass saw besides finite logits.</summary>
    public enum Special
    {
        /// <summary>Every logit finite.</summary>
        None,
        /// <summary>Some logits −infinity, none NaN or +infinity.</summary>
        NegativeInfinity,
        /// <summary>A NaN, a +infinity, or logits so large that their sum overflowed: look again.</summary>
        Unknown,
    }

    public static int Count(int logits) => (logits + Length - 1) / Length;

    /// <summary>The largest logit (meaningless with a NaN, which <paramref name="special"/> then reports as Unknown), the
    /// largest of each block in <paramref name="maxima"/>, and with <paramref name="withSums"/> each block's
    /// Σ e^(x − reference) in <paramref name="sums"/> (without the tokens more than 87 below the reference), its reference
    /// (the largest logit of the blocks before it, or its own largest where that is more than <see cref="Headroom"/>
    /// higher) in <paramref name="references"/>, and the relative error of every sum in <paramref name="margin"/>.</summary>
    public static float Scan(ReadOnlySpan<float> logits, Span<float> maxima, Span<float> sums, Span<float> references,
        bool withSums, Width width, out Special special, out double margin) => width switch
        {
            Width.Vector512 => Scan<Wide512>(logits, maxima, sums, references, withSums, out special, out margin),
            Width.Vector256 => Scan<Wide256>(logits, maxima, sums, references, withSums, out special, out margin),
            _ => Scan<Narrow>(logits, maxima, sums, references, withSums, out special, out margin),
        };

    // One instantiation per width.
    private static float Scan<TKernel>(ReadOnlySpan<float> logits, Span<float> maxima, Span<float> sums,
        Span<float> references, bool withSums, out Special special, out double margin) where TKernel : struct, IKernel
    {
        ref var first = ref MemoryMarshal.GetReference(logits);
        int blocks = Count(logits.Length);
        float running = float.NegativeInfinity, check = 0;
        double largestBias = 0;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * Length, count = Math.Min(Length, logits.Length - start);
            ref var block = ref Unsafe.Add(ref first, start);
            float max;
            if (!withSums)
                max = TKernel.Max(ref block, count, ref check);
            else
            {
                float reference = running, blockCheck = 0, sum = 0;
                max = TKernel.Sum(ref block, count, BiasOf(reference), ref blockCheck, ref sum);
                // Against a reference far below (or none: the first block) the integers would overflow: again
                // against the block's own maximum.
                if (!(max <= reference + Headroom) && max > float.NegativeInfinity)
                {
                    reference = max;
                    (blockCheck, sum) = (0, 0);
                    max = TKernel.Sum(ref block, count, BiasOf(reference), ref blockCheck, ref sum);
                }
                if (max == float.NegativeInfinity) sum = 0;
                check += blockCheck;
                sums[b] = sum;
                references[b] = reference;
                if (max > float.NegativeInfinity) largestBias = Math.Max(largestBias, Math.Abs(Bias - (double)reference * Scale));
            }
            maxima[b] = max;
            running = MathF.Max(running, max);
        }
        special = float.IsFinite(check) ? Special.None : check == float.NegativeInfinity ? Special.NegativeInfinity : Special.Unknown;
        // Relative error of each term: the cubic's, and the exponent's rounding: the bias rounded to float (half an ulp of
        // it), y's FMA rounded (half an ulp of y < 2^31: 64), Scale's own rounding times |x − reference| < 89 (65), the
        // truncation to an integer (1), all in units of 2^-23 of the exponent, so times ln 2 / 2^23 in the value. Each
        // float sum adds Length terms at most, 2^-24 of it each, twice over for the block's total.
        margin = CubicError * 1.01 + (largestBias * 6e-8 + 256) * 0.6931471805599453 / (1 << 23) + 2 * Length * 6e-8;
        // MaxNative may give −0 where 0 is there too; the exact path's maximum is MathF.Max's, +0.
        return running == 0 ? 0 : running;
    }

    /// <summary>A block's pass at one width: its largest logit, its logits added to <c>check</c>, and for Sum its
    /// Σ e^(x − reference) added to <c>sum</c>. The vector kernels are never inlined: compiled on their own, a caller's
    /// profile (a sampler that never asked for masses) cannot leave them cold, and their registers are their own.</summary>
    private interface IKernel
    {
        static abstract float Max(ref float block, int count, ref float check);
        static abstract float Sum(ref float block, int count, float bias, ref float check, ref float sum);
    }

    private struct Narrow : IKernel
    {
        public static float Max(ref float block, int count, ref float check) =>
            Rest(ref block, 0, count, float.NegativeInfinity, ref check);

        public static float Sum(ref float block, int count, float bias, ref float check, ref float sum) =>
            Rest(ref block, 0, count, float.NegativeInfinity, bias, ref check, ref sum);
    }

    // The logits from `start` on, one at a time.
    private static float Rest(ref float block, int start, int count, float max, ref float check)
    {
        for (int i = start; i < count; i++)
        {
            var x = Unsafe.Add(ref block, i);
            max = MathF.Max(max, x);
            check += x;
        }
        return max;
    }

    private static float Rest(ref float block, int start, int count, float max, float bias, ref float check, ref float sum)
    {
        for (int i = start; i < count; i++)
        {
            var x = Unsafe.Add(ref block, i);
            max = MathF.Max(max, x);
            check += x;
            sum = Mass(x, bias, sum);
        }
        return max;
    }

    private struct Wide256 : IKernel
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Max(ref float block, int count, ref float check)
        {
            // Four of each accumulator: the adds' latency, not their throughput, would set the pace with fewer.
            var (m0, m1, m2, m3) = (Vector256.Create(float.NegativeInfinity), Vector256.Create(float.NegativeInfinity),
                Vector256.Create(float.NegativeInfinity), Vector256.Create(float.NegativeInfinity));
            var (c0, c1, c2, c3) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
            nuint i = 0, n = (nuint)count;
            for (; i + 4 * (nuint)Vector256<float>.Count <= n; i += 4 * (nuint)Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref block, i);
                var x1 = Vector256.LoadUnsafe(ref block, i + (nuint)Vector256<float>.Count);
                var x2 = Vector256.LoadUnsafe(ref block, i + 2 * (nuint)Vector256<float>.Count);
                var x3 = Vector256.LoadUnsafe(ref block, i + 3 * (nuint)Vector256<float>.Count);
                m0 = Vector256.MaxNative(m0, x0);
                m1 = Vector256.MaxNative(m1, x1);
                m2 = Vector256.MaxNative(m2, x2);
                m3 = Vector256.MaxNative(m3, x3);
                c0 += x0;
                c1 += x1;
                c2 += x2;
                c3 += x3;
            }
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref block, i);
                m0 = Vector256.MaxNative(m0, x0);
                c0 += x0;
            }
            check += Vector256.Sum(c0 + c1 + (c2 + c3));
            return Rest(ref block, (int)i, count, Largest(Vector256.MaxNative(Vector256.MaxNative(m0, m1), Vector256.MaxNative(m2, m3))), ref check);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Sum(ref float block, int count, float bias, ref float check, ref float sum)
        {
            // Sixteen registers: the constants, one max and one check, two sums (an FMA's latency per two vectors).
            var (scale, b, exponent, one) = (Vector256.Create(Scale), Vector256.Create(bias), Vector256.Create(ExponentBits), Vector256.Create(One));
            var (k0, k1, k2, k3) = (Vector256.Create(C0), Vector256.Create(C1), Vector256.Create(C2), Vector256.Create(C3));
            var (m, c) = (Vector256.Create(float.NegativeInfinity), Vector256<float>.Zero);
            var (s0, s1) = (Vector256<float>.Zero, Vector256<float>.Zero);
            nuint i = 0, n = (nuint)count;
            for (; i + 2 * (nuint)Vector256<float>.Count <= n; i += 2 * (nuint)Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref block, i);
                var x1 = Vector256.LoadUnsafe(ref block, i + (nuint)Vector256<float>.Count);
                m = Vector256.MaxNative(m, Vector256.MaxNative(x0, x1));
                c += x0 + x1;
                s0 = Mass(x0, scale, b, exponent, one, k0, k1, k2, k3, s0);
                s1 = Mass(x1, scale, b, exponent, one, k0, k1, k2, k3, s1);
            }
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref block, i);
                m = Vector256.MaxNative(m, x0);
                c += x0;
                s0 = Mass(x0, scale, b, exponent, one, k0, k1, k2, k3, s0);
            }
            check += Vector256.Sum(c);
            sum += Vector256.Sum(s0 + s1);
            return Rest(ref block, (int)i, count, Largest(m), bias, ref check, ref sum);
        }
    }

    private struct Wide512 : IKernel
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Max(ref float block, int count, ref float check)
        {
            var (m0, m1) = (Vector512.Create(float.NegativeInfinity), Vector512.Create(float.NegativeInfinity));
            var (c0, c1) = (Vector512<float>.Zero, Vector512<float>.Zero);
            nuint i = 0, n = (nuint)count;
            for (; i + 2 * (nuint)Vector512<float>.Count <= n; i += 2 * (nuint)Vector512<float>.Count)
            {
                var x0 = Vector512.LoadUnsafe(ref block, i);
                var x1 = Vector512.LoadUnsafe(ref block, i + (nuint)Vector512<float>.Count);
                m0 = Vector512.MaxNative(m0, x0);
                m1 = Vector512.MaxNative(m1, x1);
                c0 += x0;
                c1 += x1;
            }
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                var x0 = Vector512.LoadUnsafe(ref block, i);
                m0 = Vector512.MaxNative(m0, x0);
                c0 += x0;
            }
            check += Vector512.Sum(c0 + c1);
            var max = Vector512.MaxNative(m0, m1);
            float wide = Largest(Vector256.MaxNative(max.GetLower(), max.GetUpper()));
            return MathF.Max(wide, Wide256.Max(ref Unsafe.Add(ref block, i), count - (int)i, ref check));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Sum(ref float block, int count, float bias, ref float check, ref float sum)
        {
            var (scale, b, exponent, one) = (Vector512.Create(Scale), Vector512.Create(bias), Vector512.Create(ExponentBits), Vector512.Create(One));
            var (k0, k1, k2, k3) = (Vector512.Create(C0), Vector512.Create(C1), Vector512.Create(C2), Vector512.Create(C3));
            var (m0, m1) = (Vector512.Create(float.NegativeInfinity), Vector512.Create(float.NegativeInfinity));
            var (c0, c1) = (Vector512<float>.Zero, Vector512<float>.Zero);
            var (s0, s1) = (Vector512<float>.Zero, Vector512<float>.Zero);
            nuint i = 0, n = (nuint)count;
            for (; i + 2 * (nuint)Vector512<float>.Count <= n; i += 2 * (nuint)Vector512<float>.Count)
            {
                var x0 = Vector512.LoadUnsafe(ref block, i);
                var x1 = Vector512.LoadUnsafe(ref block, i + (nuint)Vector512<float>.Count);
                m0 = Vector512.MaxNative(m0, x0);
                m1 = Vector512.MaxNative(m1, x1);
                c0 += x0;
                c1 += x1;
                s0 = Mass(x0, scale, b, exponent, one, k0, k1, k2, k3, s0);
                s1 = Mass(x1, scale, b, exponent, one, k0, k1, k2, k3, s1);
            }
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                var x0 = Vector512.LoadUnsafe(ref block, i);
                m0 = Vector512.MaxNative(m0, x0);
                c0 += x0;
                s0 = Mass(x0, scale, b, exponent, one, k0, k1, k2, k3, s0);
            }
            check += Vector512.Sum(c0 + c1);
            sum += Vector512.Sum(s0 + s1);
            var max = Vector512.MaxNative(m0, m1);
            float wide = Largest(Vector256.MaxNative(max.GetLower(), max.GetUpper()));
            return MathF.Max(wide, Wide256.Sum(ref Unsafe.Add(ref block, i), count - (int)i, bias, ref check, ref sum));
        }
    }

    /// <summary>sum + e^(x − reference), the kernels' way (0 more than 87 below the reference, and for NaN); the bias is
    /// <see cref="BiasOf"/> the reference. The vectors' value lane for lane.</summary>
    public static float Mass(float x, float bias, float sum)
    {
        float y = MathF.FusedMultiplyAdd(x, Scale, bias);
        int bits = !(y > 0) ? 0 : y < 2147483648f ? (int)y : int.MinValue;   // what the vector conversion gives
        int power = bits & ExponentBits;
        float m = BitConverter.Int32BitsToSingle(bits ^ power | One);
        return MathF.FusedMultiplyAdd(BitConverter.Int32BitsToSingle(power), Cubic(m), sum);
    }

    /// <summary>2^(m − 1) for m in [1, 2), to within <see cref="CubicError"/>.</summary>
    public static float Cubic(float m) => MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C3, m, C2), m, C1), m, C0);

    public static float BiasOf(float reference) => (float)(Bias - (double)reference * Scale);

    // The exponent bits of the integer are 2^k; without them, under the exponent of 1, they are m = 1 + f.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mass(Vector512<float> x, Vector512<float> scale, Vector512<float> bias, Vector512<int> exponent,
        Vector512<int> one, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3, Vector512<float> sum)
    {
        var bits = Vector512.ConvertToInt32Native(Vector512.MaxNative(Vector512.FusedMultiplyAdd(x, scale, bias), Vector512<float>.Zero));
        var power = bits & exponent;
        var m = ((bits ^ power) | one).AsSingle();
        var p = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(k3, m, k2), m, k1), m, k0);
        return Vector512.FusedMultiplyAdd(power.AsSingle(), p, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mass(Vector256<float> x, Vector256<float> scale, Vector256<float> bias, Vector256<int> exponent,
        Vector256<int> one, Vector256<float> k0, Vector256<float> k1, Vector256<float> k2, Vector256<float> k3, Vector256<float> sum)
    {
        var bits = Vector256.ConvertToInt32Native(Vector256.MaxNative(Vector256.FusedMultiplyAdd(x, scale, bias), Vector256<float>.Zero));
        var power = bits & exponent;
        var m = ((bits ^ power) | one).AsSingle();
        var p = Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(k3, m, k2), m, k1), m, k0);
        return Vector256.FusedMultiplyAdd(power.AsSingle(), p, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Largest(Vector256<float> m)
    {
        var h = Vector128.MaxNative(m.GetLower(), m.GetUpper());
        h = Vector128.MaxNative(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
        h = Vector128.MaxNative(h, Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2)));
        return h.ToScalar();
    }
}
