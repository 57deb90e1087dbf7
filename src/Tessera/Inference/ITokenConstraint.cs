// The seam between constrained decoding (grammars, JSON schemas, the harmony frame around them) and the sampler: which
// tokens may come next, and which token came.

namespace Tessera.Inference;

/// <summary>Restricts the next token. The sampler asks <see cref="IsAllowed"/> about its unconstrained choice first and
/// <see cref="AllowedTokens"/> only when that choice is rejected; the generator reports the token it took.</summary>
internal interface ITokenConstraint
{
    /// <summary>Whether <paramref name="token"/> may come next.</summary>
    bool IsAllowed(int token);

    /// <summary>Every token that may come next.</summary>
    TokenMask AllowedTokens();

    /// <summary>Moves past <paramref name="token"/>, which must be allowed.</summary>
    void Accept(int token);
}

/// <summary>A set of token ids: the bits of <see cref="Bits"/> (bit i of word i / 64; null for none) and the ids in
/// <see cref="Extra"/>.</summary>
internal readonly record struct TokenMask(ulong[]? Bits, int[] Extra)
{
    public bool Contains(int token) =>
        Bits is { } bits && (uint)(token >> 6) < (uint)bits.Length && (bits[token >> 6] >> token & 1) != 0 || Array.IndexOf(Extra, token) >= 0;
}
