// Top-k, top-p and min-p (llama_sampler_top_k, _top_p, _min_p in llama.cpp's src/llama-sampling.cpp) by selection rather
// than sorting, since the draw does not need the kept tokens in order. A histogram of logits by distance below the
// maximum (like llama.cpp's bucket sort in llama_token_data_array_partial_sort) finds the bucket where the k-th token or
// the p-th probability mass falls; a quickselect inside that one bucket settles the boundary exactly. Two passes over
// the vocabulary, whatever k or p. Like llama.cpp with min_keep = 0, each filter keeps at least one token.

namespace Tessera.Inference;

public sealed partial class Sampler
{
    // 1/64-logit buckets down to 32 below the maximum (weights down to e^-32); the last bucket holds everything lower.
    private const int Buckets = 2048;
    private const float BucketsPerLogit = 64;

    private readonly int[] _bucketCounts = new int[Buckets];
    private readonly double[] _bucketMasses = new double[Buckets];
    private readonly ushort[] _bucketOf;       // [vocab] bucket of each candidate
    private readonly float[] _spareLogits;     // [vocab] the boundary bucket's candidates while the list is compacted
    private readonly int[] _spareIds;          // [vocab]
    private readonly float[] _spareWeights;    // [vocab]

    /// <summary>Shrinks the first <paramref name="n"/> candidates to those top-k, top-p and min-p keep, in that order;
    /// returns how many remain at the front of the candidate list, or −1 when the list is only the head
    /// (Sampler.Fast.cs) and top-p's nucleus reaches beyond it.</summary>
    private int Truncate(int n)
    {
        if (_topK > 0 && _topK < n) n = TopK(n, _topK);
        // On the head alone a single candidate does not mean a single token: the tail may hold the nucleus.
        if (_topP < 1 && (n > 1 || _headLimit < Buckets)) n = TopP(n, _topP);
        if (n < 0) return n;
        if (_minP > 0) n = MinP(n, _minP);
        return n;
    }

    /// <summary>Keeps the <paramref name="k"/> largest logits (ties at the boundary broken arbitrarily, as llama.cpp's
    /// partial sort does).</summary>
    private int TopK(int n, int k)
    {
        Array.Clear(_bucketCounts);
        var max = _maxLogit;
        for (var i = 0; i < n; i++)
        {
            var bucket = BucketOf(max, _logits[i]);
            _bucketOf[i] = (ushort)bucket;
            _bucketCounts[bucket]++;
        }
        var (before, boundary) = (0, 0);
        while (before + _bucketCounts[boundary] < k) before += _bucketCounts[boundary++];
        SelectTopK(SplitAtBucket(n, boundary, out _), k - before);
        return k;
    }

    /// <summary>Keeps the smallest set of most likely candidates whose probabilities add up to at least
    /// <paramref name="p"/>, at least one; −1 when the candidates are the head and the nucleus reaches beyond it.</summary>
    private int TopP(int n, float p)
    {
        // The softmax at temperature 1 (llama_sampler_softmax_impl), summed per bucket as well as in total.
        Array.Clear(_bucketMasses);
        var max = _maxLogit;
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            var logit = _logits[i];
            var weight = MathF.Exp(logit - max);
            _weights[i] = weight;
            total += weight;
            var bucket = BucketOf(max, logit);
            _bucketOf[i] = (ushort)bucket;
            _bucketMasses[bucket] += weight;
        }
        // On the head, the tail's mass is known within [_tailLow, _tailHigh] (Sampler.Fast.cs): every decision below
        // must come out the same across the target's interval, or the call is Ambiguous.
        double slack = 0;
        if (_headLimit < Buckets)
        {
            slack = p * (_tailHigh - _tailLow) / 2;
            total += (_tailLow + _tailHigh) / 2;
            if (slack > 0) slack += 1e-12 * p * total;   // the exact path sums in another order
        }
        // llama.cpp sums normalised float probabilities in sorted order and stops at cum_sum >= p; these exact double
        // sums pick the same set except where its float rounding moves the boundary by tokens of tiny probability.
        var target = p * total;
        double above = 0;
        var boundary = 0;
        while (above + _bucketMasses[boundary] < target + slack)
        {
            if (above + _bucketMasses[boundary] >= target - slack) return Ambiguous;
            above += _bucketMasses[boundary];
            // Rounding kept the sum of the buckets a hair below the target: everything stays. On the head: look further.
            if (++boundary == _headLimit) return _headLimit == Buckets ? n : -1;
        }
        var ties = SplitAtBucket(n, boundary, out var before);
        var kept = SelectNucleus(ties, target - above, slack);
        return kept == Ambiguous ? Ambiguous : before + kept;
    }

    /// <summary>What the filters return when the tail's mass, known only within bounds, could change their result.</summary>
    private const int Ambiguous = -2;

    /// <summary>Keeps the candidates with probability at least <paramref name="minP"/> times the largest: logit ≥
    /// max + ln(minP), computed in float as llama.cpp does. The maximum always stays.</summary>
    private int MinP(int n, float minP)
    {
        var threshold = _maxLogit + MathF.Log(minP);
        var kept = 0;
        for (var i = 0; i < n; i++)
        {
            if (_logits[i] < threshold) continue;
            _logits[kept] = _logits[i];
            _ids[kept] = _ids[i];
            kept++;
        }
        return kept;
    }

    private static int BucketOf(float max, float logit)
    {
        var distance = (max - logit) * BucketsPerLogit;
        return distance < Buckets - 1 ? (int)distance : Buckets - 1;
    }

    /// <summary>Compacts the first <paramref name="n"/> candidates to those of buckets above
    /// <paramref name="boundary"/> (<paramref name="before"/> of them), followed by those of <paramref name="boundary"/>
    /// itself, which it returns.</summary>
    private Candidates SplitAtBucket(int n, int boundary, out int before)
    {
        var kept = 0;
        var spare = 0;
        for (var i = 0; i < n; i++)
        {
            // Most candidates lie below the boundary, so this branch is well predicted.
            int bucket = _bucketOf[i];
            if (bucket > boundary) continue;
            if (bucket < boundary)
            {
                _logits[kept] = _logits[i];
                _ids[kept] = _ids[i];
                _weights[kept] = _weights[i];
                kept++;
            }
            else
            {
                _spareLogits[spare] = _logits[i];
                _spareIds[spare] = _ids[i];
                _spareWeights[spare] = _weights[i];
                spare++;
            }
        }
        _spareLogits.AsSpan(0, spare).CopyTo(_logits.AsSpan(kept));
        _spareIds.AsSpan(0, spare).CopyTo(_ids.AsSpan(kept));
        _spareWeights.AsSpan(0, spare).CopyTo(_weights.AsSpan(kept));
        before = kept;
        return new Candidates(_logits, _ids, _weights).Slice(kept, spare);
    }

    /// <summary>Quickselect: moves the <paramref name="k"/> largest logits to the front of
    /// <paramref name="candidates"/>.</summary>
    internal static void SelectTopK(Candidates candidates, int k)
    {
        var lo = 0;
        var hi = candidates.Length;
        // Invariant: [0, lo) are in the top k and [hi, n) are not, so the boundary k lies in (lo, hi].
        while (hi - lo > 1)
        {
            var range = candidates.Slice(lo, hi - lo);
            var (greater, less) = range.Partition();
            if (k <= lo + greater) hi = lo + greater;
            else if (k <= lo + less) return; // the boundary falls among logits equal to the pivot
            else lo += less;
        }
    }

    /// <summary>Quickselect on probability mass: moves the smallest set of largest logits whose weights add up to at
    /// least <paramref name="target"/> to the front of <paramref name="candidates"/> and returns its size, at least
    /// 1. With a <paramref name="slack"/>, the target may be anywhere within it: <see cref="Ambiguous"/> when that could
    /// change a decision.</summary>
    internal static int SelectNucleus(Candidates candidates, double target, double slack = 0)
    {
        var lo = 0;
        var hi = candidates.Length;
        double above = 0; // weight of [0, lo), which is kept; always below target
        while (lo < hi)
        {
            var range = candidates.Slice(lo, hi - lo);
            var (greater, less) = range.Partition();
            double greaterMass = 0;
            for (var i = 0; i < greater; i++) greaterMass += range.Weights[i];
            if (above + greaterMass >= target + slack)
            {
                hi = lo + greater; // the nucleus ends among the larger logits
                continue;
            }
            if (above + greaterMass >= target - slack) return Ambiguous;
            var tieWeight = range.Weights[greater];
            var tieMass = (double)tieWeight * (less - greater);
            if (above + greaterMass + tieMass >= target - slack)
            {
                if (above + greaterMass + tieMass < target + slack) return Ambiguous;
                var ties = (int)Math.Ceiling((target - above - greaterMass) / tieWeight);
                if (slack > 0 && ties != (int)Math.Ceiling((target + slack - above - greaterMass) / tieWeight)) return Ambiguous;
                if (slack > 0 && ties != (int)Math.Ceiling((target - slack - above - greaterMass) / tieWeight)) return Ambiguous;
                return lo + greater + Math.Clamp(ties, 1, less - greater);
            }
            above += greaterMass + tieMass;
            lo += less;
        }
        // Only reached when rounding left the weights a hair short of the target: keep all of them.
        return Math.Max(lo, 1);
    }

    /// <summary>A slice of the candidate list: the same range of the parallel logit, id and weight arrays.</summary>
    internal readonly ref struct Candidates(Span<float> logits, Span<int> ids, Span<float> weights)
    {
        public readonly Span<float> Logits = logits;
        public readonly Span<int> Ids = ids;
        public readonly Span<float> Weights = weights;

        public int Length => Logits.Length;

        public Candidates Slice(int start, int length) =>
            new(Logits.Slice(start, length), Ids.Slice(start, length), Weights.Slice(start, length));

        /// <summary>Three-way partition by logit, descending, around the median of the first, middle and last logits:
        /// [0, Greater) above the pivot, [Greater, Less) equal, [Less, n) below. The pivot is one of the logits, so the
        /// middle part is never empty, and it is chosen deterministically, so a seed reproduces the same tokens.</summary>
        public (int Greater, int Less) Partition()
        {
            var (a, b, c) = (Logits[0], Logits[Length / 2], Logits[^1]);
            var pivot = MathF.Max(MathF.Min(a, b), MathF.Min(MathF.Max(a, b), c));
            var greater = 0;
            var i = 0;
            var less = Length;
            while (i < less)
            {
                var logit = Logits[i];
                if (logit > pivot) Swap(i++, greater++);
                else if (logit < pivot) Swap(i, --less);
                else i++;
            }
            return (greater, less);
        }

        private void Swap(int i, int j)
        {
            (Logits[i], Logits[j]) = (Logits[j], Logits[i]);
            (Ids[i], Ids[j]) = (Ids[j], Ids[i]);
            (Weights[i], Weights[j]) = (Weights[j], Weights[i]);
        }
    }
}
