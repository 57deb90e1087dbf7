// The seam between generation (sampling, chat, streaming) and a model: tokens in, next-token logits out, with the
// model keeping its own KV cache; or, on a GPU, the next token itself (greedy, or drawn with the host sampler's random
// number). The gpt-oss forward pass implements it; tests implement it with scripted tokens.

namespace Tessera.Inference;

/// <summary>A causal language model with its own KV cache: evaluates tokens at the next positions and yields logits.</summary>
public interface ITokenPredictor : IDisposable
{
    /// <summary>Number of logits per position.</summary>
    int VocabularySize { get; }

    /// <summary>Positions the cache holds (the context size).</summary>
    int ContextSize { get; }

    /// <summary>Tokens already in the cache; the next token evaluated gets this position.</summary>
    int Position { get; }

    /// <summary>Evaluates <paramref name="tokens"/> at positions <see cref="Position"/>.. and writes the logits of the last
    /// one into <paramref name="logits"/> (length <see cref="VocabularySize"/>). Throws
    /// <see cref="ContextOverflowException"/> if they do not fit.</summary>
    void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits, CancellationToken cancellationToken = default);

    /// <summary>Forgets every position from <paramref name="position"/> on, so a shared prefix can be kept.</summary>
    void Truncate(int position);
}

/// <summary>A predictor that can pick the most likely next token where its logits are (on a GPU), so that greedy
/// generation never copies the logits to the host.</summary>
public interface IGreedyTokenPredictor : ITokenPredictor
{
    /// <summary>Whether <see cref="EvaluateGreedy"/> saves work over <see cref="ITokenPredictor.Evaluate"/> + a host argmax.</summary>
    bool SamplesOnDevice { get; }

    /// <summary>Evaluates <paramref name="tokens"/> like Evaluate and returns the most likely next token (lowest id on ties).</summary>
    int EvaluateGreedy(ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default);
}

/// <summary>A predictor that can also draw the next token at a temperature where its logits are (on a GPU), so that
/// sampling copies four bytes to the host instead of the logits.</summary>
public interface ISamplingTokenPredictor : IGreedyTokenPredictor
{
    /// <summary>Evaluates <paramref name="tokens"/> like Evaluate and returns the token <paramref name="draw"/> picks from the
    /// last one's logits, the one <see cref="Sampler"/> would pick with the same settings and random number (but for a draw
    /// within float rounding of a boundary between two tokens). Returns −1 where the device cannot settle it; then
    /// <paramref name="logits"/> (length <see cref="ITokenPredictor.VocabularySize"/>) holds the logits, for the host to
    /// sample with the same draw.</summary>
    int EvaluateSampled(ReadOnlySpan<int> tokens, TokenDraw draw, Span<float> logits, CancellationToken cancellationToken = default);
}
