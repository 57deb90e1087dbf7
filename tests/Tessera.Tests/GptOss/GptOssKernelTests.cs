// The pieces of the gpt-oss forward pass against values worked out by hand (gpt-oss-facts.md §1, §4): YaRN as llama.cpp
// rounds it, attention with sinks, the sliding-window mask, the router, SwiGLU-OAI and RMSNorm.

using Tessera.Backends;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.GptOss;

public class GptOssKernelTests
{
    // gpt-oss: head size 64, θ = 150000, YaRN factor 32 over an original context of 4096.
    private static readonly YarnRope Rope = new(64, 150000f, 32f, 4096);

    [Fact]
    public void YarnRampBoundsAreFlooredAndCeiled()
    {
        // corr_dim(32) = 8.0928 → 8 and corr_dim(1) = 17.3980 → 18, as llama.cpp rounds them (the references use the raw values).
        Assert.Equal(8f, Rope.CorrLow);
        Assert.Equal(18f, Rope.CorrHigh);
        Assert.Equal(1f, Rope.Ramp(0));
        Assert.Equal(1f, Rope.Ramp(8));
        Assert.Equal(0.9f, Rope.Ramp(9), 6);
        Assert.Equal(0.1f, Rope.Ramp(17), 6);
        Assert.Equal(0f, Rope.Ramp(18));
        Assert.Equal(0f, Rope.Ramp(31));
    }

    [Fact]
    public void YarnMagnitudeIsOnePlusATenthOfLnS() => Assert.Equal(1.34657359f, Rope.Magnitude, 6);

    // φ_i = p·θ^(−2i/64)·((1 − γ_i)/32 + γ_i), computed in double by hand.
    [Theory]
    [InlineData(0, 100, 100.0)]
    [InlineData(8, 1, 0.050813274815461475)]
    [InlineData(8, 100, 5.081327481546148)]
    [InlineData(9, 100, 3.162075227534649)]
    [InlineData(9, 4000, 126.48300910138595)]
    [InlineData(17, 100, 0.022794779579512526)]
    [InlineData(17, 4000, 0.9117911831805009)]
    [InlineData(18, 1, 3.8308812373753384e-05)]
    [InlineData(18, 4000, 0.15323524949501355)]
    [InlineData(31, 4000, 0.0012094045712476857)]
    public void YarnAnglesMatchTheFormula(int pair, int position, double expected)
    {
        // ggml builds ω_i by repeated float multiplication: a few float roundings, so cos and sin move with the angle's size.
        Assert.Equal(expected, Rope.Angle(pair, position), expected * 2e-6);
        Span<float> table = stackalloc float[64];
        Rope.CosSin(position, table);
        var tolerance = 2e-6 + 3e-6 * expected;
        Assert.Equal(Math.Cos(expected) * 1.3465735902799727, table[2 * pair], tolerance);
        Assert.Equal(Math.Sin(expected) * 1.3465735902799727, table[2 * pair + 1], tolerance);
    }

    [Fact]
    public void NeoxRotationPairsValueIWithValueIPlusHalf()
    {
        Span<float> table = stackalloc float[64];
        Rope.CosSin(100, table);
        var head = new float[64];
        head[9] = 1;   // pair 9 is (x_9, x_41)
        Rope.RotateNeox(head, table);
        Assert.Equal(table[18], head[9]);   // m·cos φ_9
        Assert.Equal(table[19], head[41]);  // m·sin φ_9
        Assert.Equal(62, head.Count(v => v == 0));
    }

    [Fact]
    public void SinkOnlyJoinsTheDenominator()
    {
        // One key with score 2, sink 0: weight e²/(e² + e⁰) = 0.8807971.
        var q = new float[] { 1, 0, 0, 0 };
        var keys = new float[] { 2, 0, 0, 0 };
        var values = new float[] { 1, 2, 3, 4 };
        var output = new float[4];
        AttentionWithSinks.F32(q, keys, values, 4, 0, [0], [0], 0, 0, sink: 0, scale: 1, halfAccumulator: false, output);
        Assert.Equal([0.8807971f, 1.7615941f, 2.6423912f, 3.5231883f], output, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void SinkAboveEveryScoreStillLeavesTheWeightsInProportion()
    {
        // Scores 1 and 3, sink 2: weights e¹/(e¹ + e³ + e²) = 0.0900306 and e³/(…) = 0.6652410.
        var q = new float[] { 1, 0 };
        var keys = new float[] { 1, 0, 3, 0 };
        var values = new float[] { 1, 0, 0, 1 };
        var output = new float[2];
        AttentionWithSinks.F32(q, keys, values, 2, 0, [0, 1], [0, 1], 1, 0, sink: 2, scale: 1, halfAccumulator: false, output);
        Assert.Equal(0.09003057f, output[0], 6);
        Assert.Equal(0.66524096f, output[1], 6);

        // A sink far above the scores takes almost all the weight; the output shrinks towards zero.
        AttentionWithSinks.F32(q, keys, values, 2, 0, [0, 1], [0, 1], 1, 0, sink: 30, scale: 1, halfAccumulator: false, output);
        Assert.All(output, v => Assert.InRange(v, 0, 1e-10));
    }

    [Fact]
    public void ScoresAreScaledButTheSinkIsNot()
    {
        // Score 4·0.5 = 2 against sink 0: the same weight as the unscaled score 2.
        var output = new float[1];
        AttentionWithSinks.F32([4], [1], [1], 1, 0, [0], [0], 0, 0, sink: 0, scale: 0.5f, halfAccumulator: false, output);
        Assert.Equal(0.8807971f, output[0], 6);
    }

    [Theory]
    [InlineData(200, 73, 128, true)]    // 127 back: the oldest position in the window
    [InlineData(200, 72, 128, false)]   // 128 back: just outside
    [InlineData(200, 200, 128, true)]   // itself
    [InlineData(200, 201, 128, false)]  // causal
    [InlineData(200, 0, 0, true)]       // full attention sees everything before
    [InlineData(200, -1, 0, false)]     // an empty slot
    public void SlidingWindowMaskBoundary(int query, int key, int window, bool visible) =>
        Assert.Equal(visible, AttentionMask.IsVisible(query, key, window));

    [Fact]
    public void AKeyJustOutsideTheWindowDoesNotMoveTheOutput()
    {
        // Query at 200 over keys at 72 (hidden, 128 back) and 73 (visible, 127 back): only the second counts.
        var q = new float[] { 1 };
        var both = new float[1];
        var one = new float[1];
        AttentionWithSinks.F32(q, [5, 1], [100, 1], 1, 0, [0, 1], [72, 73], 200, 128, sink: 0, scale: 1, halfAccumulator: false, both);
        AttentionWithSinks.F32(q, [1], [1], 1, 0, [0], [73], 200, 128, sink: 0, scale: 1, halfAccumulator: false, one);
        Assert.Equal(one[0], both[0]);
        Assert.Equal(Math.E / (Math.E + 1), one[0], 6);
    }

    [Fact]
    public void RouterPicksTheLargestLogitsAndSoftmaxesOnlyThose()
    {
        float[] logits = [0.5f, 2f, -1f, 1.5f, 3f, 0f];
        var experts = new int[2];
        var weights = new float[2];
        TopKSoftmax.F32(logits, experts, weights);
        Assert.Equal([4, 1], experts);
        Assert.Equal(0.7310586f, weights[0], 6);   // e³/(e³ + e²)
        Assert.Equal(0.2689414f, weights[1], 6);

        experts = new int[4];
        weights = new float[4];
        TopKSoftmax.F32(logits, experts, weights);
        Assert.Equal([4, 1, 3, 0], experts);
        Assert.Equal(1f, weights.Sum(), 6);
    }

    [Theory]
    [InlineData(7f, 7f, 55.99962502642654)]          // g·σ(1.702g)·(u + 1) at the limits
    [InlineData(10f, 10f, 55.99962502642654)]        // both clamped to 7
    [InlineData(10f, -10f, -41.99971876981991)]      // up clamped from below to −7: (u + 1) = −6
    [InlineData(-10f, 0.5f, -6.086941942282968e-07)] // the gate is not clamped from below
    [InlineData(1f, 2f, 2.537387297798464)]
    public void SwiGluOaiClampsTheGateOnOneSideAndUpOnBoth(float gate, float up, double expected)
    {
        var y = new float[1];
        F32SwiGluOai.F32([gate], [up], 1.702f, 7f, y);
        Assert.Equal(expected, y[0], Math.Abs(expected) * 1e-6);
    }

    [Fact]
    public void RmsNormDividesByTheRootMeanSquareAndScales()
    {
        var y = new float[4];
        F32RmsNorm.F32([1, 2, 3, 4], [1, 1, 2, 0.5f], 1e-5f, y);
        const double s = 0.3651481282381064;   // 1/√(7.5 + 1e-5)
        Assert.Equal([s, 2 * s, 6 * s, 2 * s], y.Select(v => (double)v), (a, b) => Math.Abs(a - b) < 1e-6);
    }
}
