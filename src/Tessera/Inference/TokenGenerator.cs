// The generation loop: reuse the cached prefix, evaluate the rest of the prompt, then sample and evaluate one token at
// a time until an end-of-generation token, the token budget or the context runs out. Counts time like llama.cpp's
// perf counters (prompt eval, eval, sampling). One generator per model context; not thread-safe.

using System.Diagnostics;
using Tessera.Tokenization;

namespace Tessera.Inference;

internal sealed class TokenGenerator(ITokenPredictor predictor, BpeTokenizer tokenizer, IReadOnlySet<int> endOfGeneration)
{
    private readonly List<int> _cached = [];       // tokens whose keys and values are in the predictor's cache
    private readonly float[] _logits = new float[predictor.VocabularySize];

    public ITokenPredictor Predictor => predictor;

    /// <summary>Counters of the last call, filled in as it runs.</summary>
    public PerformanceCounters Counters { get; private set; } = new();

    /// <summary>Per token of the last constrained call, microseconds spent in its constraint (bench hook).</summary>
    public List<double> ConstraintMicroseconds { get; } = [];

    /// <summary>Generates after <paramref name="prompt"/>; yields each token as soon as it is chosen. A
    /// <paramref name="constraint"/> restricts every token and is told each one; it keeps sampling on the host.</summary>

    public IEnumerable<GeneratedToken> Generate(IReadOnlyList<int> prompt, int maxTokens, SamplingOptions sampling, CancellationToken cancellationToken,
        ITokenConstraint? constraint = null)
    {
        ConstraintMicroseconds.Clear();
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        if (prompt.Count >= predictor.ContextSize) throw new ContextOverflowException(prompt.Count + 1, predictor.ContextSize);
        var total = Stopwatch.StartNew();
        var sampler = new Sampler(sampling, predictor.VocabularySize);

        // Keep the longest common prefix; the last prompt token is always evaluated again for its logits.
        var keep = 0;
        while (keep < _cached.Count && keep < prompt.Count - 1 && _cached[keep] == prompt[keep]) keep++;
        predictor.Truncate(Math.Min(keep, predictor.Position));
        keep = predictor.Position;   // a cache that cannot go back that far (sliding window) starts over
        _cached.RemoveRange(keep, _cached.Count - keep);

        // Plain greedy decoding on a GPU picks the token there: the logits never come to the host. So does sampling at a
        // temperature without bias or penalties, with the sampler's own random number; the logits come to the host only
        // when the device cannot settle the choice.
        var onDevice = predictor is IGreedyTokenPredictor { SamplesOnDevice: true } g && IsPlainGreedy(sampling) && constraint is null ? g : null;
        var drawOnDevice = predictor is ISamplingTokenPredictor { SamplesOnDevice: true } d && sampler.CanSampleOnDevice && constraint is null ? d : null;
        int next = -1;
        TokenDraw? pending = null;   // the draw the device left to the host: _logits hold the logits

        var promptWatch = Stopwatch.StartNew();
        var rest = prompt.Skip(keep).ToArray();
        try { next = EvaluateNext(rest, onDevice, drawOnDevice, sampler, out pending, cancellationToken); }
        catch { Forget(); throw; }
        _cached.AddRange(rest);
        var counters = new PerformanceCounters
        {
            PromptEvalMs = promptWatch.Elapsed.TotalMilliseconds,
            PromptEvalTokens = rest.Length,
            PromptCachedTokens = keep,
        };
        Counters = counters;

        var detokenizer = tokenizer.CreateStreamingDetokenizer();
        var history = new List<int>(prompt);
        double evalMs = 0, sampleMs = 0;
        var budget = Math.Min(maxTokens, predictor.ContextSize - prompt.Count);
        for (var n = 0; n < budget; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sampleWatch = Stopwatch.StartNew();
            var context = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history);
            var token = onDevice is not null ? next
                : pending is { } draw ? sampler.SampleWithDraw(_logits, context, draw.U)
                : drawOnDevice is not null ? next
                : constraint is not null ? sampler.SampleConstrained(_logits, context, constraint)
                : sampler.Sample(_logits, context);
            if (constraint is not null) AcceptConstrained(constraint, token, sampler.LastConstraintTicks);
            sampleMs += sampleWatch.Elapsed.TotalMilliseconds;
            history.Add(token);
            var end = endOfGeneration.Contains(token);
            Counters = counters with { EvalMs = evalMs, EvalRuns = n, SampleMs = sampleMs, SampleRuns = n + 1, TotalMs = total.Elapsed.TotalMilliseconds };
            yield return new GeneratedToken(token, detokenizer.Append(token), end);
            if (end || n == budget - 1) break;

            var evalWatch = Stopwatch.StartNew();
            try { next = EvaluateNext([token], onDevice, drawOnDevice, sampler, out pending, cancellationToken); }
            catch { Forget(); throw; }
            evalMs += evalWatch.Elapsed.TotalMilliseconds;
            _cached.Add(token);
            Counters = counters with { EvalMs = evalMs, EvalRuns = n + 1, SampleMs = sampleMs, SampleRuns = n + 1, TotalMs = total.Elapsed.TotalMilliseconds };
        }
        var tail = detokenizer.Flush();
        if (tail.Length > 0) yield return new GeneratedToken(-1, tail, true);
        Counters = Counters with { TotalMs = total.Elapsed.TotalMilliseconds };
    }

    /// <summary>Evaluates <paramref name="tokens"/>: the next token when a device picks it (greedy, or a draw it settled),
    /// else −1 with the logits in _logits (and in <paramref name="pending"/> the draw the device left to the host).</summary>
    private int EvaluateNext(ReadOnlySpan<int> tokens, IGreedyTokenPredictor? greedy, ISamplingTokenPredictor? drawing, Sampler sampler,
        out TokenDraw? pending, CancellationToken cancellationToken)
    {
        pending = null;
        if (greedy is not null) return greedy.EvaluateGreedy(tokens, cancellationToken);
        if (drawing is null)
        {
            predictor.Evaluate(tokens, _logits, cancellationToken);
            return -1;
        }
        var draw = sampler.NextDeviceDraw();
        int token = drawing.EvaluateSampled(tokens, draw, _logits, cancellationToken);
        if (token < 0) pending = draw;
        return token;
    }

    /// <summary>Evaluates <paramref name="tokens"/> after the cached ones, as though they had been generated, so that the
    /// next prompt finds them in the cache.</summary>
    public void Continue(IReadOnlyList<int> tokens, CancellationToken cancellationToken)
    {
        if (tokens.Count == 0) return;
        if ((long)_cached.Count + tokens.Count > predictor.ContextSize)
            throw new ContextOverflowException(_cached.Count + tokens.Count, predictor.ContextSize);
        try { predictor.Evaluate(tokens.ToArray(), _logits, cancellationToken); }
        catch { Forget(); throw; }
        _cached.AddRange(tokens);
    }

    /// <summary>Forgets the cache.</summary>
    public void Reset() => Forget();

    private void AcceptConstrained(ITokenConstraint constraint, int token, long ticks)
    {
        var start = Stopwatch.GetTimestamp();
        constraint.Accept(token);
        ConstraintMicroseconds.Add(Stopwatch.GetElapsedTime(start - ticks).TotalMicroseconds);
    }

    // Temperature 0 with nothing that changes the logits first: the sampler would return the argmax.
    private static bool IsPlainGreedy(SamplingOptions s) =>
        s.Temperature == 0 && s.LogitBias.Count == 0 && s.RepeatPenalty == 1 && s.PresencePenalty == 0 && s.FrequencyPenalty == 0;

    // After a failure or cancellation mid-evaluation the cache holds an unknown state: start over next time.
    private void Forget()
    {
        _cached.Clear();
        predictor.Truncate(0);
    }
}
