// One token drawn where the logits are (a GPU): the settings of the sampler chain a device can run (Sampler.cs without
// logit bias and penalties, which need the history) and the uniform number the host sampler's generator gave for the draw,
// so that the device picks the token the host would have picked from the same logits.

namespace Tessera.Inference;

/// <summary>A draw of the next token at <paramref name="Temperature"/> (&gt; 0) after top-k, top-p and min-p (0, 1 and 0 turn
/// them off), by cumulative weight over the kept tokens in id order at <paramref name="U"/> ∈ [0, 1) of the total, as
/// <see cref="Sampler"/> draws.</summary>
public readonly record struct TokenDraw(float Temperature, int TopK, float TopP, float MinP, double U);
