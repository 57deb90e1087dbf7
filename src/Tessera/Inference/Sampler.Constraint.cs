// Sampling under a constraint: the distribution is the model's restricted to the allowed tokens (disallowed tokens get
// logit -infinity after bias and penalties, before truncation). The unconstrained choice is tried first: at
// temperature 0, or with no top-k / top-p / min-p, a choice that turns out allowed has exactly the constrained
// distribution (an allowed draw from p has probability p(a); a rejected one redraws from p restricted to the allowed
// set A, giving p(a)·(1 − p(A)) / p(A); together p(a) / p(A)), so the full mask is only computed after a rejection.

namespace Tessera.Inference;

public sealed partial class Sampler
{
    /// <summary>Stopwatch ticks the last constrained <see cref="SampleConstrained"/>
    /// spent asking the constraint and applying its mask.</summary>
    internal long LastConstraintTicks { get; private set; }

    /// <summary>Chooses the next token among those <paramref name="constraint"/> allows.</summary>
    internal int SampleConstrained(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, ITokenConstraint constraint)
    {
        long ticks = 0;
        AdjustLogits(logits, history);
        if (_temperature == 0 || (_topK == 0 && _topP == 1 && _minP == 0))
        {
            var n = Prepare();
            var token = _temperature == 0 ? _argmax : Draw(n);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var allowed = constraint.IsAllowed(token);
            ticks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            if (allowed)
            {
                LastConstraintTicks = ticks;
                return token;
            }
            AdjustLogits(logits, history);   // Prepare compacts the logits when some are -infinity
        }
        var maskStart = System.Diagnostics.Stopwatch.GetTimestamp();
        ApplyMask(constraint.AllowedTokens());
        LastConstraintTicks = ticks + System.Diagnostics.Stopwatch.GetTimestamp() - maskStart;
        var m = Prepare();
        if (_temperature == 0) return _argmax;
        return Draw(Truncate(m));
    }

    // Sets the adjusted logit of every token outside the mask to -infinity.
    private void ApplyMask(TokenMask mask)
    {
        Span<float> kept = mask.Extra.Length <= 64 ? stackalloc float[mask.Extra.Length] : new float[mask.Extra.Length];
        for (var i = 0; i < mask.Extra.Length; i++) kept[i] = _logits[mask.Extra[i]];
        var logits = _logits.AsSpan();
        var bits = mask.Bits;
        for (var w = 0; w * 64 < logits.Length; w++)
        {
            var word = bits is not null && w < bits.Length ? bits[w] : 0;
            if (word == ulong.MaxValue) continue;
            var block = logits.Slice(w * 64, Math.Min(64, logits.Length - w * 64));
            if (word == 0)
            {
                block.Fill(float.NegativeInfinity);
                continue;
            }
            for (var i = 0; i < block.Length; i++)
                if ((word >> i & 1) == 0) block[i] = float.NegativeInfinity;
        }
        for (var i = 0; i < mask.Extra.Length; i++) _logits[mask.Extra[i]] = kept[i];
    }
}
