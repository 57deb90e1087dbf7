// The agreement figures the forward-pass issue asks for, accumulated position by position: relative RMS error of the
// logits over all positions, top-1 agreement everywhere, and top-1 agreement where the reference's first choice leads its
// second by at least 5% of that position's logit standard deviation.

namespace Tessera.Tests.GptOss;

internal sealed class GptOssLogitsAgreement
{
    private double _errorSquares, _referenceSquares, _maxAbsError;
    private int _positions, _agree, _confident, _confidentAgree;

    /// <summary>Adds one position: our logits and the reference's.</summary>
    public void Add(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference)
    {
        if (ours.Length != reference.Length) throw new ArgumentException("logit rows differ in length");
        double sum = 0, sumSquares = 0;
        int best = 0, second = -1;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = ours[i] - reference[i];
            _errorSquares += d * d;
            _referenceSquares += (double)reference[i] * reference[i];
            _maxAbsError = Math.Max(_maxAbsError, Math.Abs(d));
            sum += reference[i];
            sumSquares += (double)reference[i] * reference[i];
            if (i == 0) continue;
            if (reference[i] > reference[best]) { second = best; best = i; }
            else if (second < 0 || reference[i] > reference[second]) second = i;
        }
        double mean = sum / reference.Length;
        double std = Math.Sqrt(Math.Max(0, sumSquares / reference.Length - mean * mean));
        bool agree = ArgMax(ours) == best;
        _positions++;
        if (agree) _agree++;
        if (reference[best] - reference[second] >= 0.05 * std)
        {
            _confident++;
            if (agree) _confidentAgree++;
        }
    }

    public int Positions => _positions;
    public double RelativeRmsError => Math.Sqrt(_errorSquares / _referenceSquares);
    public double MaxAbsError => _maxAbsError;
    public double Top1Agreement => (double)_agree / _positions;
    public int ConfidentPositions => _confident;
    public double ConfidentTop1Agreement => _confident == 0 ? 1 : (double)_confidentAgree / _confident;

    public override string ToString() =>
        $"{_positions} positions: relative RMS error {RelativeRmsError:P3} (max |Δ| {MaxAbsError:G3}), top-1 agreement " +
        $"{Top1Agreement:P2} ({_agree}/{_positions}), where confident {ConfidentTop1Agreement:P2} ({_confidentAgree}/{_confident})";

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
