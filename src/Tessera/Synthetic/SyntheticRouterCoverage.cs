// What the calibration of a skewed synthetic router reached in one layer (SkewedRouter), for make-test-model to report.

namespace Tessera.Synthetic;

/// <summary>The share of one layer's router picks, over the inputs its bias was calibrated on, that its hottest experts take.</summary>
/// <param name="Layer">The block.</param>
/// <param name="Experts">How many of the hottest experts: a quarter, a half and five eighths of the layer's (8, 16 and 20 of 32).</param>
/// <param name="Shares">The share of all picks those experts take, in the same order (gpt-oss-20b: about 0.5, 0.8, 0.9).</param>
public sealed record SyntheticRouterCoverage(int Layer, IReadOnlyList<int> Experts, IReadOnlyList<double> Shares);
