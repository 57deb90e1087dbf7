// The sampler's common cases without a scalar exp per vocabulary entry (issue 13: ~2 ms a token before). Greedy is a
// vector max and a vector search. Plain temperature sampling computes every weight in vectors with F32Exp, except the
// tokens within DrawSpan of the maximum, whose weights MathF.Exp gives exactly as the exact path does; the weights are
// summed per block, and the draw walks only the block where it lands. Top-k, top-p and min-p run the exact path's
// selection (Sampler.Truncation.cs) on the head, the candidates within 8 (then 16) logits of the maximum, when the
// selection provably ends there: top-k when the head holds more than k tokens, top-p when the head's buckets reach p of
// the total mass (the tail's mass added in vector exp), min-p when its threshold lies inside the head; otherwise on every
// candidate, as before. The draw after a filter is the exact path's. What can differ from the exact path: the tail's
// weights (F32Exp is about 1 ulp from MathF.Exp, on weights below e^-8 of the largest) and the order of double sums,
// which move the draw's target or top-p's boundary by parts in 10^8 of the tail's mass (docs/sampling.md); the tests
// count identical tokens.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tessera.Backends.Cpu;

namespace Tessera.Inference;

public sealed partial class Sampler
{
    /// <summary>Weights of tokens this far (in logits at the draw's temperature) below the maximum come from MathF.Exp,
    /// as in the exact path; the rest from F32Exp.</summary>
    private const float DrawSpan = 8;
    private const int BlockLength = 4096;
    private const int HeadMost = 8192;
    private const int NearBuckets = (int)(4 * BucketsPerLogit);   // 4 logits below the head: the near tail

    /// <summary>The heads the filters try, in buckets of Sampler.Truncation.cs below the maximum: 8 logits, then 16.</summary>
    private static readonly int[] HeadBuckets = [(int)(8 * BucketsPerLogit), (int)(16 * BucketsPerLogit)];

    private readonly double[] _blockSums;   // [vocab / BlockLength, rounded up] the weights of each BlockLength tokens
    private double _tailLow, _tailHigh; // bounds of Σ exp(logit − max) over the candidates outside the head (top-p's total)
    private int _headLimit = Buckets;   // the buckets the candidate list covers: Buckets, or HeadBuckets for the head only

    /// <summary>Test hook: always take the exact path (a scalar exp per candidate), the reference of the fast one.</summary>
    internal bool ExactPath { get; set; }

    /// <summary>The largest adjusted logit (_maxLogit) and, for greedy, its lowest id (_argmax), with the exact path's
    /// checks.</summary>
    internal void Scan(bool argmax = false)
    {
        var logits = _logits.AsSpan();
        _argmax = -1;
        var max = argmax
            ? LogitScan.Max(logits, out _argmax, out var hasNaN, out _hasNegativeInfinity)
            : LogitScan.Max(logits, out hasNaN, out _hasNegativeInfinity);
        if (hasNaN)
            throw new ArgumentException(
                $"the logit of token {Array.FindIndex(_logits, float.IsNaN)} is NaN; the model's output is broken", "logits");
        if (max == float.NegativeInfinity)
            throw new ArgumentException(
                "no token can be sampled: every logit is -infinity (are all tokens banned by LogitBias?)", "logits");
        if (max == float.PositiveInfinity)
            throw new ArgumentException($"the logit of token {Argmax()} is +infinity; the model's output is broken", "logits");
        _maxLogit = max;
    }

    private int _argmax;

    /// <summary>The lowest id holding the largest adjusted logit (after <see cref="Scan"/>).</summary>
    private int Argmax() => _argmax >= 0 ? _argmax : LogitScan.IndexOf(_logits, _maxLogit);

    private bool _hasNegativeInfinity;

    /// <summary>Softmax at the temperature over every token and one draw from it, as <see cref="Draw"/> over the whole
    /// vocabulary (banned tokens weigh 0 and are skipped there too).</summary>
    private int DrawFromAll()
    {
        int vocabulary = _logits.Length, blocks = (vocabulary + BlockLength - 1) / BlockLength;
        float temperature = _temperature, scaledMax = _maxLogit / temperature;
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * BlockLength, length = Math.Min(BlockLength, vocabulary - start);
            total += _blockSums[b] = Weigh(_logits.AsSpan(start, length), _weights.AsSpan(start, length), temperature, scaledMax);
        }

        var target = _rng.NextDouble() * total;
        double cumulative = 0;
        int block = 0;
        while (block < blocks - 1 && cumulative + _blockSums[block] <= target) cumulative += _blockSums[block++];
        var weights = _weights;
        int last = -1;
        for (int i = block * BlockLength; i < vocabulary; i++)
        {
            if (weights[i] == 0) continue;
            cumulative += weights[i];
            // Strictly greater, so a draw of 0 cannot land on a token whose weight underflowed to 0.
            if (cumulative > target) return i;
            last = i;
        }
        if (last >= 0) return last;   // rounding left the target just above the total
        for (int i = block * BlockLength - 1; i >= 0; i--)
            if (weights[i] != 0) return i;
        return Argmax();
    }

    /// <summary>weights[i] = exp(logits[i] / temperature − scaledMax) (MathF.Exp within DrawSpan of 0, else F32Exp);
    /// returns their sum.</summary>
    internal static double Weigh(ReadOnlySpan<float> logits, Span<float> weights, float temperature, float scaledMax)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (t, m, head) = (Vector256.Create(temperature), Vector256.Create(scaledMax), Vector256.Create(-DrawSpan));
            var (low, high) = (Vector256<double>.Zero, Vector256<double>.Zero);
            ref var source = ref MemoryMarshal.GetReference(logits);
            ref var destination = ref MemoryMarshal.GetReference(weights);
            bool scale = temperature != 1;   // x / 1 is x
            for (; i <= logits.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var logit = Vector256.LoadUnsafe(ref source, (nuint)i);
                var x = (scale ? logit / t : logit) - m;
                var w = F32Exp.Exp(x);
                uint exact = Vector256.GreaterThanOrEqual(x, head).ExtractMostSignificantBits();
                if (exact != 0) w = Exact(w, x, exact);
                w.StoreUnsafe(ref destination, (nuint)i);
                var (l, h) = Vector256.Widen(w);
                low += l;
                high += h;
            }
            sum = Vector256.Sum(low + high);
        }
        for (; i < logits.Length; i++)
        {
            float x = logits[i] / temperature - scaledMax;
            sum += weights[i] = x >= -DrawSpan ? MathF.Exp(x) : F32Exp.Exp(x);
        }
        return sum;
    }

    // The lanes of `w` set in `lanes` recomputed with MathF.Exp.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> Exact(Vector256<float> w, Vector256<float> x, uint lanes)
    {
        Span<float> values = stackalloc float[Vector256<float>.Count];
        w.CopyTo(values);
        for (; lanes != 0; lanes &= lanes - 1)
        {
            int lane = BitOperations.TrailingZeroCount(lanes);
            values[lane] = MathF.Exp(x.GetElement(lane));
        }
        return Vector256.Create<float>(values);
    }

    /// <summary>What <see cref="PrepareHead"/> learns of the candidates outside the head.</summary>
    internal enum Tail { None, Bounds, Mass }

    private static readonly Tail[] BoundsThenMass = [Tail.Bounds, Tail.Mass], NoTail = [Tail.None];

    /// <summary>The candidate list restricted to the head: every token whose bucket is below <paramref name="limit"/>, in
    /// id order, compacted to the front of _logits and _ids. Returns how many are in the head. The tail's mass
    /// Σ exp(logit − max) goes into [_tailLow, _tailHigh]: with <see cref="Tail.Bounds"/> bounds a power of two apart per
    /// token (cheap: no exp), with <see cref="Tail.Mass"/> F32Exp's sum (both ends).</summary>
    internal int PrepareHead(int limit, Tail tail)
    {
        var logits = _logits;
        float max = _maxLogit;
        int n = 0, i = 0;
        double mass = 0, power = 0, fractionSum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (vmax, perLogit, vlimit) = (Vector256.Create(max), Vector256.Create(BucketsPerLogit), Vector256.Create((float)limit));
            var vnear = Vector256.Create((float)(limit + NearBuckets));
            var (low, high) = (Vector256<double>.Zero, Vector256<double>.Zero);
            var (powers, fractions) = (Vector256<float>.Zero, Vector256<float>.Zero);
            ref var source = ref MemoryMarshal.GetArrayDataReference(logits);
            for (; i <= logits.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var logit = Vector256.LoadUnsafe(ref source, (nuint)i);
                // BucketOf's distance, so that "in the head" means "in a bucket below the limit" exactly.
                var distance = (vmax - logit) * perLogit;
                var inHead = Vector256.LessThan(distance, vlimit);
                if (tail == Tail.Mass)
                {
                    var (l, h) = Vector256.Widen(Vector256.AndNot(F32Exp.Exp(logit - vmax), inHead));
                    low += l;
                    high += h;
                }
                else if (tail == Tail.Bounds)
                {
                    // The near tail (the NearBuckets below the head) in F32Exp, the far tail in bounds.
                    var near = Vector256.LessThan(distance, vnear);
                    if (Vector256.AndNot(near, inHead) != Vector256<float>.Zero)
                    {
                        var (l, h) = Vector256.Widen(Vector256.AndNot(F32Exp.Exp(logit - vmax), inHead) & near);
                        low += l;
                        high += h;
                    }
                    var (p, f) = PowerAndFraction(logit - vmax);
                    powers += Vector256.AndNot(p, near);
                    fractions += Vector256.AndNot(f, near);
                }
                for (uint lanes = inHead.ExtractMostSignificantBits(); lanes != 0; lanes &= lanes - 1)
                {
                    int lane = BitOperations.TrailingZeroCount(lanes);
                    logits[n] = logit.GetElement(lane);   // n ≤ i + lane: never a value still to be read
                    _ids[n++] = i + lane;
                }
            }
            mass = Vector256.Sum(low + high);
            power = Vector256.Sum(Vector256.WidenLower(powers) + Vector256.WidenUpper(powers));
            fractionSum = Vector256.Sum(Vector256.WidenLower(fractions) + Vector256.WidenUpper(fractions));
        }
        for (; i < logits.Length; i++)
        {
            var logit = logits[i];
            if (BucketOf(max, logit) >= limit)
            {
                if (tail == Tail.Mass) mass += F32Exp.Exp(logit - max);
                else if (tail == Tail.Bounds && BucketOf(max, logit) < limit + NearBuckets)
                    mass += F32Exp.Exp(logit - max);
                else if (tail == Tail.Bounds)
                {
                    var (p, f) = PowerAndFraction(Vector256.Create(logit - max));
                    power += p.ToScalar();
                    fractionSum += f.ToScalar();
                }
                continue;
            }
            logits[n] = logit;
            _ids[n++] = i;
        }
        if (tail == Tail.Bounds)
        {
            // The near tail is F32Exp's sum, within 10^-6 of MathF.Exp's. In the far tail e^x = 2^k·2^f with k = ⌊x·log2 e⌋,
            // f in [0, 1), and 1 + f·ln 2 ≤ 2^f ≤ 1 + f (2^f is convex): it lies within Σ2^k + ln 2·Σf·2^k and
            // Σ2^k + Σf·2^k. Margins: a float sum of m positive terms rounds by less than m·2^-24 of it (m sums per lane);
            // x·log2 e's rounding moves f by under 10^-5; MathF.Exp's own rounding and underflow (to zero below 2^-126)
            // add 10^-6 and 10^-30.
            double rounding = (logits.Length / Vector256<float>.Count + logits.Length % Vector256<float>.Count + 1) * 6e-8 + 2e-5;
            _tailHigh = mass * (1 + 1e-6) + (power + fractionSum) * (1 + rounding) + 1e-30;
            _tailLow = Math.Max(0, mass * (1 - 1e-6) + (power + Math.Log(2) * fractionSum) * (1 - rounding) - 1e-30);
        }
        else
            _tailLow = _tailHigh = mass;
        return n;
    }

    /// <summary>For x ≤ 0 (−∞ included): 2^k and f·2^k, with k = ⌊x·log2 e⌋ (at least −126) and f = x·log2 e − k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Power, Vector256<float> Fraction) PowerAndFraction(Vector256<float> x)
    {
        var t = Vector256.Max(x * Vector256.Create(1.44269504f), Vector256.Create(-126f));
        var k = Vector256.Floor(t);
        var power = Vector256.ShiftLeft(Vector256.ConvertToInt32(k) + Vector256.Create(127), 23).AsSingle();
        return (power, (t - k) * power);
    }

    /// <summary>Top-k, top-p and min-p on the head (the exact path's selection), or −1 when no head settles it and every
    /// candidate must be looked at. A head that does not settle it leaves the adjusted logits to be computed again.</summary>
    private int TruncateHead(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        bool topK = _topK > 0, topP = _topP < 1;
        foreach (int limit in HeadBuckets)
        {
            // Min-p alone must keep every token down to max + ln(minP); a bucket of margin covers the float rounding.
            if (!topK && !topP && -MathF.Log(_minP) * BucketsPerLogit >= limit - 1) continue;
            // Top-p on the head needs the tail's mass: first bounds of it (no exp); F32Exp's sum when they leave the
            // nucleus open.
            foreach (var tail in topP && !topK ? BoundsThenMass : NoTail)
            {
                int n = PrepareHead(limit, tail);
                // A head of a good part of the vocabulary (a flat distribution) saves nothing over the exact path.
                if (n > HeadMost) { AdjustLogits(logits, history); return -1; }
                // Top-k runs on the head only when the head has more than k tokens: then so has the vocabulary, as the
                // exact path requires to run it, and the k largest are all in the head.
                if (topK && n <= _topK) { AdjustLogits(logits, history); break; }
                _headLimit = topK ? Buckets : limit;   // after top-k, top-p sees the k kept tokens whole
                try { n = Truncate(n); }
                finally { _headLimit = Buckets; }
                if (n >= 0) return n;
                AdjustLogits(logits, history);   // the head was compacted over the adjusted logits
                if (n != Ambiguous) break;
            }
        }
        return -1;
    }
}
