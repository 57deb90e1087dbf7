// Options of a raw-prompt completion: how many tokens, when to stop, how to sample.

using Tessera.Inference;

namespace Tessera;

/// <summary>Options for <see cref="TesseraModel.CreateCompletion"/>; the base of <see cref="ChatCompletionOptions"/>.</summary>
public record CompletionOptions
{
    /// <summary>Most tokens to generate; null = until the context is full (chat) or 16 (raw completion, as OpenAI).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Strings that end generation; the text before the first match is returned, the match is not.</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>How tokens are chosen: temperature, top-p, top-k, min-p, penalties, logit bias, seed.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> for values no request can have.</summary>
    public virtual void Validate()
    {
        if (MaxTokens is < 0) throw new ArgumentException($"max_tokens must not be negative (got {MaxTokens})");
        if (Stop is { } stop && stop.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty");
        Sampling.Validate();
    }
}
