// How the router of a synthetic gpt-oss model spreads its picks over the experts (`make-test-model --routing`).

namespace Tessera.Synthetic;

/// <summary>How often the router of a synthetic model picks each expert.</summary>
public enum SyntheticRouting
{
    /// <summary>Random router weights and biases: every expert of a layer is picked about equally often. The default, and
    /// the files written before this option existed.</summary>
    Uniform,

    /// <summary>Random router weights, with each layer's bias calibrated so that a few experts take most picks, as in real
    /// gpt-oss-20b (8, 16 and 20 of 32 experts take about 50, 80 and 90% of a layer's picks); which experts are hot differs
    /// from layer to layer.</summary>
    Skewed,
}
