// Sampling under a constraint: the distribution is the model's restricted to the allowed tokens (disallowed tokens get
// logit -infinity after bias and penalties, before truncation). The unconstrained choice is tried first: at
// temperature 0, or with no top-k / top-p / min-p, a choice that turns out allowed has exactly the constrained
// distribution (an allowed draw from p has probability p(a); a rejected one redraws from p restricted to the allowed
// set A, giving p(a)·(1 − p(A)) / p(A); together p(a) / p(A)), so the full mask is only computed after a rejection.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Inference;

public sealed partial class Sampler
{
    /// <summary>Stopwatch ticks the last constrained <see cref="SampleConstrained"/>
    /// spent asking the constraint and applying its mask.</summary>
    internal long LastConstraintTicks { get; private set; }

    /// <summary>Chooses the next token among those <paramref name="constraint"/> allows.</summary>
    internal int SampleConstrained(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, ITokenConstraint constraint)
    {
        _maskTicks = 0;
        if (_temperature == 0 || (_topK == 0 && _topP >= 1 && _minP == 0))
        {
            var token = Sample(logits, history);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var allowed = constraint.IsAllowed(token);
            _maskTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            if (allowed)
            {
                LastConstraintTicks = _maskTicks;
                return token;
            }
        }
        // The mask joins bias and penalties in AdjustLogits (which then always copies the logits), so every later step
        // reads the masked logits, and the choice is the one banning by logit bias would make.
        var maskStart = System.Diagnostics.Stopwatch.GetTimestamp();
        _mask = constraint.AllowedTokens();
        _maskTicks += System.Diagnostics.Stopwatch.GetTimestamp() - maskStart;
        try
        {
            return Choose(AdjustLogits(logits, history), draw: null);
        }
        finally
        {
            _mask = null;
            LastConstraintTicks = _maskTicks;
        }
    }

    private TokenMask? _mask;   // the constraint's mask while SampleConstrained needs it
    private long _maskTicks;

    // Applies the mask to the adjusted logits (after bias and penalties changed them there).
    private void Mask(TokenMask mask)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        Span<float> kept = mask.Extra.Length <= 64 ? stackalloc float[mask.Extra.Length] : new float[mask.Extra.Length];
        for (var i = 0; i < mask.Extra.Length; i++) kept[i] = _adjusted[mask.Extra[i]];
        MaskInto(_adjusted, mask);
        for (var i = 0; i < mask.Extra.Length; i++) _adjusted[mask.Extra[i]] = kept[i];
        _maskTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
    }

    // The adjusted logits when only a mask changes them: copied from the caller's while the mask is applied, one pass.
    private void MaskedCopy(ReadOnlySpan<float> source, TokenMask mask)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        MaskInto(source, mask);
        foreach (var token in mask.Extra) _adjusted[token] = source[token];
        _maskTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
    }

    // _adjusted[i] = source[i] where bit i of the mask's bit set is set, else -infinity (the extra ids are the caller's);
    // source may be _adjusted itself. Eight logits at a time where the vector unit allows (a table gives the lane mask of
    // each byte of the bit set), and runs of banned words in one fill.
    private void MaskInto(ReadOnlySpan<float> source, TokenMask mask)
    {
        var logits = _adjusted.AsSpan();
        bool inPlace = Unsafe.AreSame(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(logits));
        var bits = mask.Bits;
        var vectors = Vector256.IsHardwareAccelerated;
        var banned = Vector256.Create(float.NegativeInfinity);
        for (var w = 0; w * 64 < logits.Length; w++)
        {
            var word = bits is not null && w < bits.Length ? bits[w] : 0;
            var count = Math.Min(64, logits.Length - w * 64);
            if (word == 0)
            {
                var end = w + 1;
                while (end * 64 < logits.Length && (bits is null || end >= bits.Length || bits[end] == 0)) end++;
                logits[(w * 64)..Math.Min(end * 64, logits.Length)].Fill(float.NegativeInfinity);
                w = end - 1;
                continue;
            }
            if (word == ulong.MaxValue)
            {
                if (!inPlace) source.Slice(w * 64, count).CopyTo(logits.Slice(w * 64));
                continue;
            }
            if (count < 64 || !vectors)
            {
                for (var i = 0; i < count; i++) logits[w * 64 + i] = (word >> i & 1) != 0 ? source[w * 64 + i] : float.NegativeInfinity;
                continue;
            }
            ref var from = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), w * 64);
            ref var to = ref Unsafe.Add(ref MemoryMarshal.GetReference(logits), w * 64);
            for (var k = 0; k < 8; k++)
                Vector256.ConditionalSelect(LaneMasks[(byte)(word >> (8 * k))], Vector256.LoadUnsafe(ref from, (nuint)(8 * k)), banned)
                    .StoreUnsafe(ref to, (nuint)(8 * k));
        }
    }

    // [256]: lane i all ones where bit i of the index is set.
    private static readonly Vector256<float>[] LaneMasks = [.. Enumerable.Range(0, 256).Select(b =>
        Vector256.Create([.. Enumerable.Range(0, 8).Select(i => (b >> i & 1) != 0 ? BitConverter.Int32BitsToSingle(-1) : 0f)]))];
}
