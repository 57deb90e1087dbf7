// Picks the next token from logits with llama.cpp's sampler chain in its default order (common/common.h,
// common_params_sampling::samplers, with the logit-bias sampler common_sampler_init puts first): logit bias → penalties →
// top-k → top-p → min-p → temperature → softmax → seeded draw; each stage as in src/llama-sampling.cpp. llama.cpp's DRY,
// top-n-sigma, typical-p and XTC stages sit between these but are off by default and not implemented here.
// The draw uses xoshiro256**, not llama.cpp's mt19937, so a seed gives other tokens than llama.cpp's same seed, and walks
// the kept tokens in id order (llama.cpp's in its sorted order), which a GPU can follow (TokenDraw: sampling on the device
// with this sampler's random number).

using Tessera.Synthetic;

namespace Tessera.Inference;

/// <summary>Chooses tokens from logits under one <see cref="SamplingOptions"/>, reproducibly for a given seed. Holds
/// buffers the size of the vocabulary so that <see cref="Sample"/> allocates nothing; not thread-safe.</summary>
public sealed partial class Sampler
{
    private readonly float _temperature;
    private readonly int _topK;
    private readonly float _topP;
    private readonly float _minP;
    private readonly float _repeatPenalty;
    private readonly float _presencePenalty;
    private readonly float _frequencyPenalty;
    private readonly int _penaltyLastN;
    private readonly bool _penalize;
    private readonly int[] _biasTokens;     // [biases], ascending
    private readonly float[] _biasValues;   // [biases]

    private readonly int[] _counts;         // [vocab] occurrences in the penalty window; all zero between calls

    private readonly float[] _adjusted;     // [vocab] the logits after bias, penalties and mask, when any applies

    // The candidates still in the running, as parallel arrays (llama.cpp's llama_token_data_array): the first n entries
    // are live, in id order after Prepare and in no particular order after the filters.
    private readonly float[] _logits;       // [vocab] logit after bias and penalties
    private readonly int[] _ids;            // [vocab] token id
    private readonly int[] _identity;       // [vocab] 0, 1, 2, ...: _ids when no token is banned
    private readonly float[] _weights;      // [vocab] exp((logit − max) / T) for the stage that last set it
    private Xoshiro256 _rng;

    // Set by Scan: the largest adjusted logit.
    private float _maxLogit;

    /// <summary>Builds a sampler for a model with <paramref name="vocabularySize"/> logits per position.</summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="SamplingOptions.Validate"/>) or
    /// bias a token id outside the vocabulary.</exception>
    public Sampler(SamplingOptions options, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        options.Validate();

        Options = options;
        VocabularySize = vocabularySize;
        _temperature = options.Temperature;
        _topK = options.TopK;
        _topP = options.TopP;
        _minP = options.MinP;
        _repeatPenalty = options.RepeatPenalty;
        _presencePenalty = options.PresencePenalty;
        _frequencyPenalty = options.FrequencyPenalty;
        _penaltyLastN = options.PenaltyLastN;
        _penalize = _penaltyLastN != 0 && (_repeatPenalty != 1 || _presencePenalty != 0 || _frequencyPenalty != 0);

        _biasTokens = [.. options.LogitBias.Keys.Order()];
        _biasValues = new float[_biasTokens.Length];
        for (var i = 0; i < _biasTokens.Length; i++)
        {
            if (_biasTokens[i] >= vocabularySize)
                throw new ArgumentException(
                    $"{nameof(SamplingOptions.LogitBias)} has token id {_biasTokens[i]}, but the vocabulary has {vocabularySize} tokens",
                    nameof(options));
            _biasValues[i] = options.LogitBias[_biasTokens[i]];
        }

        _counts = new int[vocabularySize];
        _adjusted = new float[vocabularySize];
        _logits = new float[vocabularySize];
        _ids = new int[vocabularySize];
        _identity = [.. Enumerable.Range(0, vocabularySize)];
        _kept = new ulong[(vocabularySize + 63) / 64];
        _weights = new float[vocabularySize];
        _spareLogits = new float[vocabularySize];
        _spareIds = new int[vocabularySize];
        _spareWeights = new float[vocabularySize];
        _bucketOf = new ushort[vocabularySize];
        _blockSums = new double[(vocabularySize + BlockLength - 1) / BlockLength];
        _blockMaxima = new float[LogitBlocks.Count(vocabularySize)];
        _blockMasses = new float[_blockMaxima.Length];
        _blockReferences = new float[_blockMaxima.Length];
        Seed = options.Seed ?? RandomSeed();
        _rng = new Xoshiro256(Seed);
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Number of logits <see cref="Sample"/> expects.</summary>
    public int VocabularySize { get; }

    /// <summary>The seed in use: <see cref="SamplingOptions.Seed"/>, or the random one chosen when that is null, so a
    /// run can be repeated.</summary>
    public ulong Seed { get; }

    /// <summary>Chooses the next token.</summary>
    /// <param name="logits">The model's logits for the next position (length <see cref="VocabularySize"/>); not
    /// modified.</param>
    /// <param name="history">The tokens already in the context, oldest first: the prompt and what was generated so
    /// far, as llama-server feeds its sampler. The penalties count the last <see cref="SamplingOptions.PenaltyLastN"/>
    /// of them; pass only the generated tokens for OpenAI's reading of presence and frequency penalties.</param>
    /// <returns>The token id. At temperature 0 the most likely token (lowest id on ties) without using the random
    /// generator; otherwise one draw from the generator per call.</returns>
    /// <exception cref="ArgumentException">Wrong logits length, a history token outside the vocabulary, a NaN or
    /// +infinity logit, or no token left to choose (every logit −infinity, e.g. all banned by logit bias).</exception>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history) => Choose(AdjustLogits(logits, history), draw: null);

    /// <summary>Whether a device can draw this sampler's tokens (<see cref="NextDeviceDraw"/>): a temperature above 0 and
    /// neither logit bias nor penalties, which need the history. A grammar constraint also keeps sampling here.</summary>
    internal bool CanSampleOnDevice => _temperature > 0 && _biasTokens.Length == 0 && !_penalize;

    /// <summary>The next token's draw for a device: the settings, and the random number <see cref="Sample"/>
    /// would take from the generator now (taken, so the sequence of draws is the one host sampling would use).</summary>
    internal TokenDraw NextDeviceDraw()
    {
        if (!CanSampleOnDevice)
            throw new InvalidOperationException("this sampler's settings (greedy, logit bias or penalties) keep sampling on the host");
        return new TokenDraw(_temperature, _topK, _topP, _minP, _rng.NextDouble());
    }

    /// <summary>Chooses the next token with <paramref name="draw"/> (from <see cref="NextDeviceDraw"/>) instead of a new
    /// random number: what a device that could not settle the choice leaves to the host.</summary>
    internal int SampleWithDraw(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, double draw) => Choose(AdjustLogits(logits, history), draw);

    // Sample after AdjustLogits; at a temperature above 0 with `draw`, or a new random number when it is null.
    private int Choose(ReadOnlySpan<float> logits, double? draw)
    {
        // Top-k, top-p and min-p always keep the most likely token, so greedy needs none of them.
        if (_temperature == 0)
        {
            Scan(logits);
            return Argmax(logits);
        }
        Scan(logits, withTailMass: NeedsTailMass);
        if (!ExactPath && _topK == 0 && _topP >= 1 && _minP == 0) return DrawFromAll(logits, draw ?? _rng.NextDouble());
        int n = Select(logits);
        return Draw(n, draw ?? _rng.NextDouble());
    }

    /// <summary>The candidates top-k, top-p and min-p keep, at the front of the candidate list (after
    /// <see cref="AdjustLogits"/> and <see cref="Scan"/>): from the head when that settles it, else from every candidate.</summary>
    private int Select(ReadOnlySpan<float> logits)
    {
        if (!ExactPath && (_topK > 0 || _topP < 1 || _minP > 0))
        {
            var n = TruncateHead(logits);
            if (n >= 0) return n;
        }
        return Truncate(Prepare(logits));
    }

    /// <summary>The logits after bias, penalties and the constraint's mask: <paramref name="logits"/> itself when none of
    /// them changes anything (no copy), else a buffer the next call overwrites.</summary>
    internal ReadOnlySpan<float> AdjustLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != VocabularySize)
            throw new ArgumentException(
                $"expected {VocabularySize} logits (the vocabulary size), got {logits.Length}", nameof(logits));
        var window = _penalize ? PenaltyWindow(history) : [];
        if (_biasTokens.Length == 0 && window.IsEmpty)
        {
            if (_mask is null) return logits;
            MaskedCopy(logits, _mask.Value);   // the copy and the mask in one pass
            return _adjusted;
        }
        logits.CopyTo(_adjusted);
        for (var i = 0; i < _biasTokens.Length; i++) _adjusted[_biasTokens[i]] += _biasValues[i];
        if (!window.IsEmpty) Penalize(window);
        if (_mask is { } mask) Mask(mask);
        return _adjusted;
    }

    /// <summary>The tokens that top-k, top-p and min-p leave to the draw, ascending (test hook; allocates).</summary>
    internal int[] KeptTokens(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        var adjusted = AdjustLogits(logits, history);
        Scan(adjusted, withTailMass: NeedsTailMass);
        var n = Select(adjusted);
        var ids = _ids.AsSpan(0, n).ToArray();
        Array.Sort(ids);
        return ids;
    }

    /// <summary>Turns the adjusted logits into the candidate list: every token whose logit is above −infinity, in id
    /// order (after <see cref="Scan"/>, which found the maximum and checked the logits); returns the number of candidates.</summary>
    private int Prepare(ReadOnlySpan<float> logits)
    {
        if (!_hasNegativeInfinity)
        {
            logits.CopyTo(_logits);
            _identity.CopyTo(_ids, 0);
            return logits.Length;
        }
        // A banned token has probability 0; llama.cpp keeps it in the list, dropping it changes nothing drawn.
        var n = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            var logit = logits[id];
            if (logit == float.NegativeInfinity) continue;
            _logits[n] = logit;
            _ids[n] = id;
            n++;
        }
        return n;
    }

    private ReadOnlySpan<int> PenaltyWindow(ReadOnlySpan<int> history) =>
        _penaltyLastN < 0 || _penaltyLastN >= history.Length ? history : history[^_penaltyLastN..];

    /// <summary>Repetition penalty, then OpenAI's frequency and presence penalties, once per distinct token of the
    /// window (llama_sampler_penalties_apply).</summary>
    private void Penalize(ReadOnlySpan<int> window)
    {
        foreach (var token in window)
        {
            if ((uint)token >= (uint)VocabularySize)
                throw new ArgumentException(
                    $"history has token id {token}, outside the vocabulary of {VocabularySize} tokens", "history");
        }
        foreach (var token in window) _counts[token]++;
        foreach (var token in window)
        {
            var count = _counts[token];
            if (count == 0) continue; // already penalised
            _counts[token] = 0;
            ref var logit = ref _adjusted[token];
            // The CTRL paper divides; multiplying negative logits keeps the penalty a penalty (llama.cpp does the same).
            logit = logit <= 0 ? logit * _repeatPenalty : logit / _repeatPenalty;
            logit -= count * _frequencyPenalty + _presencePenalty;
        }
    }

    /// <summary>Softmax of logit / temperature over the first <paramref name="n"/> candidates and the token at
    /// <paramref name="u"/> of the cumulative weight, walking them in id order (llama_sampler_temp, then
    /// llama_sampler_dist's softmax and cumulative search, which walks llama.cpp's sorted order).</summary>
    private int Draw(int n, double u)
    {
        OrderById(n);
        var logits = _logits.AsSpan(0, n);
        var weights = _weights.AsSpan(0, n);
        var temperature = _temperature;
        var scaledMax = _maxLogit / temperature;
        double sum = 0;
        for (var i = 0; i < logits.Length; i++) sum += weights[i] = MathF.Exp(logits[i] / temperature - scaledMax);

        var target = u * sum;
        double cumulative = 0;
        var last = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            cumulative += weights[i];
            // Strictly greater, so a draw of 0 cannot land on a token whose weight underflowed to 0.
            if (cumulative > target) return _ids[i];
            last = i;
        }
        return _ids[last]; // rounding left the target just above the total
    }

    /// <summary>Puts the first <paramref name="n"/> candidates (distinct ids) in id order: a sort when they are few, else
    /// through a bit per vocabulary entry (linear in n and the vocabulary's 64ths: a top-p nucleus of a flat distribution
    /// holds 10^5 tokens).</summary>
    internal void OrderById(int n)
    {
        if (n <= OrderBySortMost)
        {
            _ids.AsSpan(0, n).Sort(_logits.AsSpan(0, n));
            return;
        }
        var logitOf = _spareLogits;   // free after the filters
        for (var i = 0; i < n; i++)
        {
            var id = _ids[i];
            logitOf[id] = _logits[i];
            _kept[id >> 6] |= 1UL << id;
        }
        var k = 0;
        for (var word = 0; word < _kept.Length; word++)
        {
            for (var bits = _kept[word]; bits != 0; bits &= bits - 1)
            {
                var id = word << 6 | System.Numerics.BitOperations.TrailingZeroCount(bits);
                _ids[k] = id;
                _logits[k++] = logitOf[id];
            }
            _kept[word] = 0;
        }
    }

    /// <summary>Candidates up to which <see cref="OrderById"/> sorts.</summary>
    internal const int OrderBySortMost = 2048;

    private readonly ulong[] _kept;   // [vocab / 64, rounded up] OrderById's bit per token; all zero between calls

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
