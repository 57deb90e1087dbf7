// Skewed synthetic routing, checked from the file alone: router inputs made as the forward pass makes them (random hidden
// rows, RMSNorm, post_attention_norm), logits from the router weight and bias read back through GgufFile, top-4 picks
// counted per layer. The hottest 8/16/20 of 32 experts must take about what they take in gpt-oss-20b (50/80/90%).

using Tessera.Gguf;
using Tessera.Models.GptOss;
using Tessera.Quants;
using Tessera.Synthetic;

namespace Tessera.Tests.Synthetic;

public class SyntheticRoutingTests
{
    private const int Inputs = 4000;

    private static readonly GptOssHyperParameters Shape = GptOssHyperParameters.Tiny with
    {
        BlockCount = 4, EmbeddingLength = 128, ExpertCount = 32, ExpertUsedCount = 4, ExpertFeedForwardLength = 32,
    };

    private static string Model(SyntheticRouting routing) =>
        TestModels.Make($"routing-{routing}.gguf", new SyntheticGptOssOptions { HyperParameters = Shape, Seed = 4, Routing = routing });

    [Fact]
    public void SkewedRoutersLeanOnAFewExpertsAndEachLayerOnOthers()
    {
        var layers = Picks(Model(SyntheticRouting.Skewed));
        foreach (var (picks, il) in layers.Select((p, il) => (p, il)))
        {
            Report(il, picks);
            Assert.InRange(Coverage(picks, 8), 0.40, 0.60);
            Assert.InRange(Coverage(picks, 16), 0.70, 0.90);
            Assert.InRange(Coverage(picks, 20), 0.82, 0.96);
            for (int other = 0; other < il; other++)
                Assert.False(Hottest(picks, 8).SetEquals(Hottest(layers[other], 8)), $"layers {other} and {il} have the same hot experts");
        }
    }

    [Fact]
    public void UniformRoutersSpreadTheirPicks()
    {
        foreach (var (picks, il) in Picks(Model(SyntheticRouting.Uniform)).Select((p, il) => (p, il)))
        {
            Report(il, picks);
            Assert.InRange(Coverage(picks, 8), 0.25, 0.35);
        }
    }

    [Fact]
    public void SkewedRoutingChangesOnlyTheRouterBiases()
    {
        using var uniform = GgufFile.Open(Model(SyntheticRouting.Uniform));
        using var skewed = GgufFile.Open(Model(SyntheticRouting.Skewed));
        foreach (var tensor in uniform.Tensors)
        {
            bool same = uniform.GetTensorData(tensor).SequenceEqual(skewed.GetTensorData(skewed.FindTensor(tensor.Name)!));
            Assert.True(same != tensor.Name.EndsWith("ffn_gate_inp.bias", StringComparison.Ordinal), tensor.Name);
        }
    }

    // Per layer, how often each expert is among the top k of the biased router logits over random inputs.
    private static long[][] Picks(string path)
    {
        using var file = GgufFile.Open(path);
        var hp = GptOssHyperParameters.FromGguf(file);
        int width = hp.EmbeddingLength, experts = hp.ExpertCount;
        var random = new Random(11);
        var result = new long[hp.BlockCount][];
        for (int il = 0; il < hp.BlockCount; il++)
        {
            float[] Read(string name) => Values(file, GptOssTensorNames.Block(il, name));
            var (norm, weight, bias) = (Read(GptOssTensorNames.PostAttentionNorm), Read(GptOssTensorNames.FfnGateInp), Read(GptOssTensorNames.FfnGateInpBias));
            var picks = result[il] = new long[experts];
            var x = new float[width];
            var logits = new float[experts];
            for (int n = 0; n < Inputs; n++)
            {
                // A hidden row at a random scale (RMSNorm removes it), normed as the forward pass norms it.
                double scale = Math.Exp(4 * random.NextDouble() - 2), sumSquares = 0;
                for (int i = 0; i < width; i++)
                {
                    x[i] = (float)(scale * Gaussian(random));
                    sumSquares += x[i] * x[i];
                }
                var inverseRms = 1 / Math.Sqrt(sumSquares / width + hp.RmsNormEpsilon);
                for (int i = 0; i < width; i++) x[i] = (float)(x[i] * inverseRms * norm[i]);
                for (int e = 0; e < experts; e++)
                {
                    double dot = bias[e];
                    for (int i = 0; i < width; i++) dot += weight[e * width + i] * x[i];
                    logits[e] = (float)dot;
                }
                foreach (var e in Enumerable.Range(0, experts).OrderByDescending(e => logits[e]).Take(hp.ExpertUsedCount)) picks[e]++;
            }
        }
        return result;
    }

    private static float[] Values(GgufFile file, string name)
    {
        var tensor = file.FindTensor(name)!;
        var values = new float[tensor.ElementCount];
        BlockFormats.Get(tensor.Type).DequantizeRow(file.GetTensorData(tensor), values);
        return values;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static void Report(int layer, long[] picks) => TestContext.Current.TestOutputHelper?.WriteLine(
        $"layer {layer}: the hottest 8/16/20 experts take {Coverage(picks, 8):P1}/{Coverage(picks, 16):P1}/{Coverage(picks, 20):P1} of picks");

    // The share of all picks that the n most picked experts take.
    private static double Coverage(long[] picks, int n) => (double)picks.OrderDescending().Take(n).Sum() / picks.Sum();

    private static HashSet<int> Hottest(long[] picks, int n) =>
        [.. Enumerable.Range(0, picks.Length).OrderByDescending(e => picks[e]).Take(n)];
}
