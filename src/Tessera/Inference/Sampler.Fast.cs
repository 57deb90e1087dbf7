// The sampler's common cases without a scalar exp per vocabulary entry (issue 13: ~2 ms a token before). Every call
// starts with one pass over the logits (LogitBlocks: the largest of each block of 512, and for top-p each block's mass
// to within 10^-4, without exp), read where the caller left them unless bias, penalties or a mask needed a copy.
// Greedy then searches only the first block holding the maximum. Plain temperature sampling computes every weight in
// vectors with F32Exp, except the tokens within DrawSpan of the maximum, whose weights MathF.Exp gives exactly as the
// exact path does; the weights are summed per block, and the draw walks only the block where it lands. Top-k, top-p and
// min-p run the exact path's selection (Sampler.Truncation.cs) on the head, read from the blocks whose largest logit
// is in it, when the selection provably ends there: top-k on the buckets down to the (k + 1)-th largest block maximum
// (more than k tokens), top-p and min-p on the candidates within 8 (then 16) logits of the maximum, top-p when the
// head's buckets reach p of the total mass whatever the tail's mass within its bounds (the blocks' masses; F32Exp's
// sum when they leave it open), min-p when its threshold lies inside the head; otherwise on every candidate, as
// before. The draw after a filter is the exact path's. What can differ from the exact path: the weights of plain
// temperature sampling and top-p's tail in the rare F32Exp fallback (F32Exp is about 1 ulp from MathF.Exp, on weights
// below e^-8 of the largest) and the order of double sums, which move the draw's target or top-p's boundary by parts in
// 10^8 of the tail's mass (docs/sampling.md); the tests count identical tokens.

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

    /// <summary>The heads the filters try, in buckets of Sampler.Truncation.cs below the maximum: 8 logits, then 16.</summary>
    private static readonly int[] HeadBuckets = [(int)(8 * BucketsPerLogit), (int)(16 * BucketsPerLogit)];

    private readonly double[] _blockSums;   // [vocab / BlockLength, rounded up] the weights of each BlockLength tokens
    private double _tailLow, _tailHigh; // bounds of Σ exp(logit − max) over the candidates outside the head (top-p's total)
    private int _headLimit = Buckets;   // the buckets the candidate list covers: Buckets, or HeadBuckets for the head only

    /// <summary>Test hook: the bounds of the tail's mass the last <see cref="PrepareHead"/> found.</summary>
    internal (double Low, double High) TailBounds => (_tailLow, _tailHigh);

    /// <summary>Test hook: always take the exact path (a scalar exp per candidate), the reference of the fast one.</summary>
    internal bool ExactPath { get; set; }

    /// <summary>Test hook: the vector width of the passes (the widest the machine accelerates unless a test asks for less).</summary>
    internal LogitBlocks.Width Width { get; init; } = LogitBlocks.Widest;

    // Set by Scan: per block of LogitBlocks.Length logits, the largest, and with the tail's mass a bound of
    // Σ e^(logit − reference) against the reference, and the bounds' relative rounding.
    private readonly float[] _blockMaxima, _blockMasses, _blockReferences;
    private bool _haveBlockMasses;
    private double _blockMargin;

    /// <summary>Whether the selection may want <see cref="Tail.Bounds"/>, which needs the blocks' masses from <see cref="Scan"/>.</summary>
    private bool NeedsTailMass => !ExactPath && _topK == 0 && _topP < 1;

    /// <summary>The largest adjusted logit (_maxLogit) and each block's largest, with the exact path's checks; with
    /// <paramref name="withTailMass"/> also the blocks' bounded masses (top-p's tail).</summary>
    internal void Scan(ReadOnlySpan<float> logits, bool withTailMass = false)
    {
        var max = LogitBlocks.Scan(logits, _blockMaxima, _blockMasses, _blockReferences, withTailMass, Width,
            out var special, out _blockMargin);
        _haveBlockMasses = withTailMass;
        _hasNegativeInfinity = special == LogitBlocks.Special.NegativeInfinity;
        var hasNaN = false;
        // A NaN or an infinity (or an overflow of the check's sum): the exact checks, and with no NaN the maximum stands.
        if (special == LogitBlocks.Special.Unknown) LogitScan.Max(logits, out hasNaN, out _hasNegativeInfinity);
        if (hasNaN)
        {
            var nan = 0;
            while (!float.IsNaN(logits[nan])) nan++;
            throw new ArgumentException($"the logit of token {nan} is NaN; the model's output is broken", "logits");
        }
        if (max == float.NegativeInfinity)
            throw new ArgumentException(
                "no token can be sampled: every logit is -infinity (are all tokens banned by LogitBias?)", "logits");
        _maxLogit = max;
        if (max == float.PositiveInfinity)
            throw new ArgumentException($"the logit of token {Argmax(logits)} is +infinity; the model's output is broken", "logits");
    }

    /// <summary>The lowest id holding the largest adjusted logit (after <see cref="Scan"/>): in the first block whose
    /// largest it is.</summary>
    private int Argmax(ReadOnlySpan<float> logits)
    {
        var b = 0;
        while (_blockMaxima[b] != _maxLogit) b++;   // == as floats compare: a block's −0 is the maximum +0
        int start = b * LogitBlocks.Length;
        return start + LogitScan.IndexOf(logits[start..], _maxLogit);
    }

    private bool _hasNegativeInfinity;

    /// <summary>Softmax at the temperature over every token and one draw from it, as <see cref="Draw"/> over the whole
    /// vocabulary (banned tokens weigh 0 and are skipped there too).</summary>
    private int DrawFromAll(ReadOnlySpan<float> logits, double u)
    {
        int vocabulary = logits.Length, blocks = (vocabulary + BlockLength - 1) / BlockLength;
        float temperature = _temperature, scaledMax = _maxLogit / temperature;
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * BlockLength, length = Math.Min(BlockLength, vocabulary - start);
            total += _blockSums[b] = Weigh(logits.Slice(start, length), _weights.AsSpan(start, length), temperature, scaledMax, Width);
        }

        var target = u * total;
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
        return Argmax(logits);
    }

    /// <summary>weights[i] = exp(logits[i] / temperature − scaledMax) (MathF.Exp within DrawSpan of 0, else F32Exp);
    /// returns their sum.</summary>
    internal static double Weigh(ReadOnlySpan<float> logits, Span<float> weights, float temperature, float scaledMax,
        LogitBlocks.Width width = LogitBlocks.Width.Vector512)
    {
        width = (LogitBlocks.Width)Math.Min((int)width, (int)LogitBlocks.Widest);
        int i = 0;
        double sum = 0;
        ref var source = ref MemoryMarshal.GetReference(logits);
        ref var destination = ref MemoryMarshal.GetReference(weights);
        bool scale = temperature != 1;   // x / 1 is x
        if (width == LogitBlocks.Width.Vector512)
        {
            var (t, m, head) = (Vector512.Create(temperature), Vector512.Create(scaledMax), Vector512.Create(-DrawSpan));
            var (low, high) = (Vector512<double>.Zero, Vector512<double>.Zero);
            for (; i <= logits.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var logit = Vector512.LoadUnsafe(ref source, (nuint)i);
                var x = (scale ? logit / t : logit) - m;
                var w = F32Exp.Exp(x);
                ulong exact = Vector512.GreaterThanOrEqual(x, head).ExtractMostSignificantBits();
                if (exact != 0) w = Vector512.Create(Exact(w.GetLower(), x.GetLower(), (uint)exact & 0xFF), Exact(w.GetUpper(), x.GetUpper(), (uint)exact >> 8));
                w.StoreUnsafe(ref destination, (nuint)i);
                var (l, h) = Vector512.Widen(w);
                low += l;
                high += h;
            }
            sum = Vector512.Sum(low + high);
        }
        if (width != LogitBlocks.Width.Scalar)
        {
            var (t, m, head) = (Vector256.Create(temperature), Vector256.Create(scaledMax), Vector256.Create(-DrawSpan));
            var (low, high) = (Vector256<double>.Zero, Vector256<double>.Zero);
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
            sum += Vector256.Sum(low + high);
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
        if (lanes == 0) return w;
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
    /// id order, at the front of _logits and _ids, read only from the blocks whose largest logit is in the head. Returns
    /// how many are in the head (any number above HeadMost once there are more). The tail's mass Σ exp(logit − max) goes
    /// into [_tailLow, _tailHigh]: with <see cref="Tail.Bounds"/> F32Exp's sum in the blocks read and the bounds of
    /// <see cref="Scan"/>'s block masses for the others (cheap: no exp), with <see cref="Tail.Mass"/> F32Exp's sum over
    /// every block (both ends).</summary>
    internal int PrepareHead(ReadOnlySpan<float> logits, int limit, Tail tail)
    {
        if (tail == Tail.Bounds && !_haveBlockMasses)
            throw new InvalidOperationException("the tail's bounds need the block masses of Scan(withTailMass: true)");
        float max = _maxLogit, reference = float.NaN;
        int n = 0;
        double mass = 0, bound = 0, scale = 0;
        for (int b = 0; b < _blockMaxima.Length; b++)
        {
            int start = b * LogitBlocks.Length;
            var block = logits.Slice(start, Math.Min(LogitBlocks.Length, logits.Length - start));
            if (BucketOf(max, _blockMaxima[b]) < limit)
            {
                n = CollectHead(block, start, limit, tail != Tail.None, n, ref mass);
                if (n > HeadMost) return n;
            }
            else if (tail == Tail.Mass)
                mass += TailMass(block);
            else if (tail == Tail.Bounds)
            {
                // The references change only where a block raised the running maximum: one exp for each.
                if (_blockReferences[b] != reference) scale = Math.Exp((double)(reference = _blockReferences[b]) - max);
                bound += _blockMasses[b] * scale;
            }
        }
        if (tail == Tail.Bounds)
        {
            // F32Exp is within 10^-6 of MathF.Exp; the block masses are within their margin of Σ e^(x − reference) (which
            // also covers the exact path's rounding of logit − max), but for the tokens more than 87 below the reference,
            // which count 0 there and weigh less than 2^-126 each.
            _tailHigh = mass * (1 + 1e-6) + bound * (1 + _blockMargin) + logits.Length * 1.2e-38;
            _tailLow = Math.Max(0, mass * (1 - 1e-6) + bound * (1 - _blockMargin));
        }
        else
            _tailLow = _tailHigh = mass;
        return n;
    }

    /// <summary>Appends the block's tokens in the head to the candidate list after the first <paramref name="n"/>;
    /// returns the new count. With <paramref name="withMass"/> adds F32Exp's weights of the others to
    /// <paramref name="mass"/>.</summary>
    private int CollectHead(ReadOnlySpan<float> block, int start, int limit, bool withMass, int n, ref double mass)
    {
        float max = _maxLogit;
        int i = 0;
        ref var source = ref MemoryMarshal.GetReference(block);
        if (Width == LogitBlocks.Width.Vector512)
        {
            var (vmax, perLogit, vlimit) = (Vector512.Create(max), Vector512.Create(BucketsPerLogit), Vector512.Create((float)limit));
            var (low, high) = (Vector512<double>.Zero, Vector512<double>.Zero);
            for (; i <= block.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var logit = Vector512.LoadUnsafe(ref source, (nuint)i);
                // BucketOf's distance, so that "in the head" means "in a bucket below the limit" exactly.
                var inHead = Vector512.LessThan((vmax - logit) * perLogit, vlimit);
                if (withMass)
                {
                    var (l, h) = Vector512.Widen(Vector512.AndNot(F32Exp.Exp(logit - vmax), inHead));
                    low += l;
                    high += h;
                }
                for (ulong lanes = inHead.ExtractMostSignificantBits(); lanes != 0; lanes &= lanes - 1)
                {
                    int lane = BitOperations.TrailingZeroCount(lanes);
                    _logits[n] = block[i + lane];
                    _ids[n++] = start + i + lane;
                }
            }
            mass += Vector512.Sum(low + high);
        }
        if (Width != LogitBlocks.Width.Scalar)
        {
            var (vmax, perLogit, vlimit) = (Vector256.Create(max), Vector256.Create(BucketsPerLogit), Vector256.Create((float)limit));
            var (low, high) = (Vector256<double>.Zero, Vector256<double>.Zero);
            for (; i <= block.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var logit = Vector256.LoadUnsafe(ref source, (nuint)i);
                var inHead = Vector256.LessThan((vmax - logit) * perLogit, vlimit);
                if (withMass)
                {
                    var (l, h) = Vector256.Widen(Vector256.AndNot(F32Exp.Exp(logit - vmax), inHead));
                    low += l;
                    high += h;
                }
                for (uint lanes = inHead.ExtractMostSignificantBits(); lanes != 0; lanes &= lanes - 1)
                {
                    int lane = BitOperations.TrailingZeroCount(lanes);
                    _logits[n] = block[i + lane];
                    _ids[n++] = start + i + lane;
                }
            }
            mass += Vector256.Sum(low + high);
        }
        for (; i < block.Length; i++)
        {
            var logit = block[i];
            if (BucketOf(max, logit) < limit)
            {
                _logits[n] = logit;
                _ids[n++] = start + i;
            }
            else if (withMass)
                mass += F32Exp.Exp(logit - max);
        }
        return n;
    }

    /// <summary>F32Exp's Σ exp(logit − max) over the block.</summary>
    private double TailMass(ReadOnlySpan<float> block)
    {
        float max = _maxLogit;
        int i = 0;
        double mass = 0;
        ref var source = ref MemoryMarshal.GetReference(block);
        if (Width == LogitBlocks.Width.Vector512)
        {
            var (vmax, low, high) = (Vector512.Create(max), Vector512<double>.Zero, Vector512<double>.Zero);
            for (; i <= block.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (l, h) = Vector512.Widen(F32Exp.Exp(Vector512.LoadUnsafe(ref source, (nuint)i) - vmax));
                low += l;
                high += h;
            }
            mass += Vector512.Sum(low + high);
        }
        if (Width != LogitBlocks.Width.Scalar)
        {
            var (vmax, low, high) = (Vector256.Create(max), Vector256<double>.Zero, Vector256<double>.Zero);
            for (; i <= block.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (l, h) = Vector256.Widen(F32Exp.Exp(Vector256.LoadUnsafe(ref source, (nuint)i) - vmax));
                low += l;
                high += h;
            }
            mass += Vector256.Sum(low + high);
        }
        for (; i < block.Length; i++) mass += F32Exp.Exp(block[i] - max);
        return mass;
    }

    /// <summary>Top-k, top-p and min-p on the head (the exact path's selection), or −1 when no head settles it and every
    /// candidate must be looked at.</summary>
    private int TruncateHead(ReadOnlySpan<float> logits)
    {
        bool topK = _topK > 0, topP = _topP < 1;
        // Top-k runs on the head only when the head has more than k tokens: then so has the vocabulary, as the exact
        // path requires to run it, and the k largest are all in the head. After top-k, top-p sees the k tokens whole.
        if (topK && TopKLimit() is var topKLimit and > 0)
        {
            int n = PrepareHead(logits, topKLimit, Tail.None);
            if (n > _topK && n <= HeadMost) return Truncate(n);
        }
        foreach (int limit in HeadBuckets)
        {
            // Min-p alone must keep every token down to max + ln(minP); a bucket of margin covers the float rounding.
            if (!topK && !topP && -MathF.Log(_minP) * BucketsPerLogit >= limit - 1) continue;
            // Top-p on the head needs the tail's mass: first bounds of it (no exp); F32Exp's sum when they leave the
            // nucleus open.
            foreach (var tail in topP && !topK ? BoundsThenMass : NoTail)
            {
                int n = PrepareHead(logits, limit, tail);
                // A head of a good part of the vocabulary (a flat distribution) saves nothing over the exact path.
                if (n > HeadMost) return -1;
                if (topK && n <= _topK) break;
                _headLimit = topK ? Buckets : limit;
                try { n = Truncate(n); }
                finally { _headLimit = Buckets; }
                if (n >= 0) return n;
                if (n != Ambiguous) break;
            }
        }
        return -1;
    }

    /// <summary>For top-k: the limit of a head that holds more than k tokens, from the blocks' maxima, which are that
    /// many distinct tokens: the buckets down to the one holding the (k + 1)-th largest maximum. 0 when there are not
    /// k + 1 blocks, or when that bucket is the last (which holds −infinity too).</summary>
    private int TopKLimit()
    {
        if (_topK >= _blockMaxima.Length) return 0;
        Array.Clear(_bucketCounts);
        foreach (var blockMax in _blockMaxima) _bucketCounts[BucketOf(_maxLogit, blockMax)]++;
        int seen = 0, bucket = 0;
        while (seen + _bucketCounts[bucket] <= _topK) seen += _bucketCounts[bucket++];
        return bucket < Buckets - 1 ? bucket + 1 : 0;
    }
}
