// Stop strings over streamed text, as OpenAI's `stop` and llama-server's find_stopping_strings/find_partial_stop_string
// behave: generation ends at the first stop string, which is not returned, and text that might be the start of one is
// held back until the next piece settles it. Matching is ordinal (exact UTF-16 code units, like llama.cpp's bytes).

namespace Tessera.Inference;

/// <summary>Watches streamed text for stop strings and says how much of it can be shown now. Feed each decoded piece to
/// <see cref="Append"/>; stop generating once <see cref="IsStopped"/> is true; call <see cref="Flush"/> when generation
/// ends for another reason. Not thread-safe.</summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private char[] _pending;  // [capacity] text not yet emitted: a possible partial stop string, then the new piece
    private int _pendingLength;

    /// <summary>Watches for <paramref name="stops"/> (none is fine: then all text passes through at once).</summary>
    /// <exception cref="ArgumentException">A stop string is null or empty.</exception>
    public StopSequenceMatcher(IEnumerable<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        _stops = [.. stops];
        foreach (var stop in _stops)
        {
            if (string.IsNullOrEmpty(stop))
                throw new ArgumentException("a stop string must not be null or empty", nameof(stops));
        }
        var longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
        _pending = new char[Math.Max(16, 2 * longest)];
    }

    /// <summary>True once a stop string has appeared; generation should end.</summary>
    public bool IsStopped => StopSequence is not null;

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? StopSequence { get; private set; }

    /// <summary>Takes the next piece of generated text and returns the text that can be emitted now: everything except
    /// a tail that could still grow into a stop string. If a stop string appeared, returns the rest of the text before
    /// it and sets <see cref="IsStopped"/>; the stop string and anything after it are dropped. Where several stop
    /// strings appear, the one that starts first wins (the one listed first on a tie).</summary>
    /// <exception cref="InvalidOperationException">A stop string was already found.</exception>
    public string Append(ReadOnlySpan<char> piece)
    {
        if (IsStopped)
            throw new InvalidOperationException($"the stop string \"{StopSequence}\" already ended the text; stop generating");
        EnsureCapacity(_pendingLength + piece.Length);
        piece.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += piece.Length;
        var text = _pending.AsSpan(0, _pendingLength);

        var first = -1;
        foreach (var stop in _stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
                StopSequence = stop;
            }
        }
        if (first >= 0)
        {
            var before = new string(text[..first]);
            _pendingLength = 0;
            return before;
        }

        var emit = _pendingLength - HeldBackLength(text);
        var result = new string(text[..emit]);
        text[emit..].CopyTo(_pending);
        _pendingLength -= emit;
        return result;
    }

    /// <summary>Returns the text still held back, for when generation ends without a stop string (end of turn, token
    /// limit): a partial stop string at the very end is ordinary text after all. Empty after a stop.</summary>
    public string Flush()
    {
        var rest = new string(_pending, 0, _pendingLength);
        _pendingLength = 0;
        return rest;
    }

    /// <summary>Length of the longest tail of <paramref name="text"/> that is a proper prefix of a stop string, and
    /// never half of a surrogate pair: a high surrogate at the end waits for its partner.</summary>
    private int HeldBackLength(ReadOnlySpan<char> text)
    {
        var held = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > held; length--)
            {
                if (text.EndsWith(stop.AsSpan(0, length), StringComparison.Ordinal))
                {
                    held = length;
                    break;
                }
            }
        }
        if (held < text.Length && char.IsHighSurrogate(text[^(held + 1)])) held++;
        return held;
    }

    private void EnsureCapacity(int length)
    {
        if (length > _pending.Length) Array.Resize(ref _pending, Math.Max(length, 2 * _pending.Length));
    }
}
