// The knobs of token sampling, named and defaulted as llama.cpp's common_params_sampling and the OpenAI API name them,
// except where the gpt-oss model card recommends otherwise (temperature 1, top-p 1, no top-k, no min-p).
// Validate() rejects the values llama.cpp would silently misbehave on.

using System.Collections.Frozen;

namespace Tessera.Inference;

/// <summary>How <see cref="Sampler"/> picks the next token from the logits. The defaults are gpt-oss's recommended
/// settings: plain sampling from the model's distribution at temperature 1.</summary>
public sealed record SamplingOptions
{
    /// <summary>Divides the logits before the final softmax; 0 picks the most likely token (greedy, ties to the lowest
    /// id). Default 1.0, as the gpt-oss model card recommends (llama.cpp's generic default is 0.8).</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Keeps only the <c>TopK</c> most likely tokens; 0 turns it off. Default 0: llama.cpp defaults to 40,
    /// but gpt-oss is meant to be sampled from its full distribution (only temperature 1 and top-p 1 are recommended).</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities add up to at least
    /// <c>TopP</c> (always at least one token). In (0, 1]; 1 turns it off (default, as gpt-oss recommends).</summary>
    public float TopP { get; init; } = 1.0f;

    /// <summary>Drops tokens whose probability is below <c>MinP</c> times the most likely token's. In [0, 1]; 0 turns
    /// it off (default; llama.cpp's generic default is 0.05).</summary>
    public float MinP { get; init; }

    /// <summary>llama.cpp's repetition penalty over the last <see cref="PenaltyLastN"/> tokens: a repeated token's
    /// positive logit is divided by it, a negative one multiplied. Must be positive; 1 turns it off (default).</summary>
    public float RepeatPenalty { get; init; } = 1.0f;

    /// <summary>OpenAI's presence penalty: subtracted once from the logit of every token that occurs in the last
    /// <see cref="PenaltyLastN"/> tokens. 0 turns it off (default); negative values encourage repetition.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI's frequency penalty: subtracted from a token's logit once per occurrence in the last
    /// <see cref="PenaltyLastN"/> tokens. 0 turns it off (default); negative values encourage repetition.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>How many of the most recent context tokens (prompt included, as llama-server counts them) the three
    /// penalties look at: 0 turns the penalties off, -1 means the whole context. Default 64, as in llama.cpp.</summary>
    public int PenaltyLastN { get; init; } = 64;

    /// <summary>Added to the logits of the given token ids before anything else; <see cref="float.NegativeInfinity"/>
    /// bans a token. Ids must be below the vocabulary size (checked when the <see cref="Sampler"/> is built).</summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = FrozenDictionary<int, float>.Empty;

    /// <summary>Seed of the random draw: the same seed, options and logits give the same tokens (on the same platform:
    /// exp may round differently elsewhere). Null (default) picks a random seed, which <see cref="Sampler.Seed"/>
    /// reports.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsPositiveInfinity(Temperature))
            throw Invalid(nameof(Temperature), Temperature, "must be a finite number >= 0 (0 = greedy)");
        if (TopK < 0)
            throw Invalid(nameof(TopK), TopK, "must be >= 0 (0 = off)");
        if (!(TopP > 0 && TopP <= 1))
            throw Invalid(nameof(TopP), TopP, "must be in (0, 1] (1 = off)");
        if (!(MinP >= 0 && MinP <= 1))
            throw Invalid(nameof(MinP), MinP, "must be in [0, 1] (0 = off)");
        if (!(RepeatPenalty > 0) || float.IsPositiveInfinity(RepeatPenalty))
            throw Invalid(nameof(RepeatPenalty), RepeatPenalty, "must be a finite number > 0 (1 = off)");
        if (!float.IsFinite(PresencePenalty))
            throw Invalid(nameof(PresencePenalty), PresencePenalty, "must be a finite number (0 = off)");
        if (!float.IsFinite(FrequencyPenalty))
            throw Invalid(nameof(FrequencyPenalty), FrequencyPenalty, "must be a finite number (0 = off)");
        if (PenaltyLastN < -1)
            throw Invalid(nameof(PenaltyLastN), PenaltyLastN, "must be >= -1 (0 = off, -1 = whole context)");
        if (LogitBias is null)
            throw new ArgumentException($"{nameof(LogitBias)} must not be null; leave it unset for no bias", nameof(LogitBias));
        foreach (var (token, bias) in LogitBias)
        {
            if (token < 0)
                throw new ArgumentException($"{nameof(LogitBias)} has token id {token}; token ids are >= 0", nameof(LogitBias));
            // +inf would make the softmax inf/inf = NaN; forcing a token is what -inf on every other token is for.
            if (float.IsNaN(bias) || float.IsPositiveInfinity(bias))
                throw new ArgumentException(
                    $"{nameof(LogitBias)} for token {token} is {bias}; a bias must be finite, or -infinity to ban the token",
                    nameof(LogitBias));
        }
    }

    private static ArgumentException Invalid<T>(string name, T value, string rule) =>
        new($"{name} {rule}; got {value}", name);
}
