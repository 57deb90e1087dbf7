// The model on the GPU and the CPU at once against the CPU backend: the same strict check as the whole-GPU comparison
// (CPU multiplying F32 activations, so both sides do the GPU's arithmetic up to rounding order) for placements that
// exercise every path of the hybrid backend: experts split in every layer (the CPU computing its share of a decode step,
// and staged to the GPU for a large batch), every expert in RAM (--cpu-moe), whole CPU blocks and the head on the CPU
// (llama.cpp's -ngl), and blocks whose attention is on the CPU while their experts are split.

using Tessera.Backends;
using Tessera.Backends.Hybrid;
using Tessera.Models.GptOss;
using Tessera.Placement;
using Tessera.Quants;
using Tessera.Synthetic;

namespace Tessera.Tests.Backends;

public class HybridModelTests
{
    private static string Model(GgmlType expertType) => TestModels.Make($"small-{expertType}-seed2.gguf",
        new SyntheticGptOssOptions { HyperParameters = GptOssHyperParameters.Presets["small"], Seed = 2, ExpertType = expertType });

    private static readonly Device Gpu = Device.Cuda(0);

    // small: 4 blocks of 8 experts, 4 used.
    public static TensorPlacement Placement(string name) => name switch
    {
        "split" => new(4, 8, _ => Gpu, il => Enumerable.Range(0, 8).Select(e => (e + il) % 2 == 0).ToArray()),
        "cpu-moe" or "cpu-moe-3" => new(4, 8, _ => Gpu, _ => new bool[8]),
        // llama.cpp's -ngl 2 of 4 blocks: blocks 0 and 1 and the head on the CPU.
        "ngl2" => new(4, 8, n => n.StartsWith("blk.0.") || n.StartsWith("blk.1.") || n.StartsWith("output") ? Device.Cpu : Gpu,
            il => Enumerable.Repeat(il >= 2, 8).ToArray()),
        // Attention of block 1 on the CPU, its experts split; the other blocks' experts mostly on the GPU.
        "mixed" => new(4, 8, n => n.StartsWith("blk.1.attn") || n.StartsWith("blk.1.post") || n.StartsWith("blk.1.ffn_gate_inp") ? Device.Cpu : Gpu,
            il => Enumerable.Range(0, 8).Select(e => e != il && e != 7).ToArray()),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("split", GgmlType.MXFP4, 64)]
    [InlineData("split", GgmlType.MXFP4, 1)]
    [InlineData("split", GgmlType.MXFP4, null)]
    [InlineData("ngl2", GgmlType.MXFP4, null)]
    [InlineData("split", GgmlType.F16, 64)]
    [InlineData("cpu-moe", GgmlType.MXFP4, 64)]
    [InlineData("cpu-moe-3", GgmlType.MXFP4, 32)]
    [InlineData("ngl2", GgmlType.MXFP4, 64)]
    [InlineData("mixed", GgmlType.MXFP4, 32)]
    public void HybridLogitsAgreeWithTheCpu(string placement, GgmlType expertType, int? stageMinTokens)
    {
        TestBackends.RequireGpu();
        var path = Model(expertType);
        var prompt = CudaModelTests.RandomTokens(1, 100, 201088);
        var decode = CudaModelTests.RandomTokens(2, 24, 201088);
        var usage = new ExpertUsage(4, 8);
        using var hybrid = GptOssPredictor.Open(path, new GptOssPredictorOptions
        {
            ContextSize = 256, BatchSize = 64, Threads = 4, RoundActivations = false, Device = DeviceChoice.Cuda,
            Placement = Placement(placement), ExpertUsage = usage,
        });
        var backend = Assert.IsType<HybridBackend>(hybrid.Model.Backend);
        backend.StageMinTokens = stageMinTokens;
        // F32 x in the GPU's decode products and f16 x in its prefill products, near the CPU's F32 here: what is checked is
        // where each op runs, not the rounding of the integer paths (CudaModelTests.GpuLogitsAgreeWithTheCpu covers that).
        backend.Gpu.IntegerMatVec = false;
        backend.Gpu.IntegerPrefill = false;
        if (placement == "cpu-moe-3") backend.StageRoomExperts = 3;   // 8 experts in RAM staged 3, 3 and 2 at a time
        var (hp, hd) = CudaModelTests.Run(hybrid, prompt, decode);
        using var cpu = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = 256, Threads = 4, BatchSize = 64, RoundActivations = false });
        var (cp, cd) = CudaModelTests.Run(cpu, prompt, decode);
        int v = cpu.VocabularySize;
        foreach (var (what, a) in new[] { ("prompt", CudaModelTests.Compare(cp, hp, v)), ("decode", CudaModelTests.Compare(cd, hd, v)) })
        {
            var label = $"hybrid {placement} (staged from {stageMinTokens?.ToString() ?? "measured"} tokens) vs cpu (F32 activations), small {expertType} {what}: {a}";
            Console.Error.WriteLine(label);
            Assert.True(a.DecisiveTop1 >= 0.99, label);
            Assert.True(a.RelativeRms < 0.02, label);
            Assert.True(a.MeanKl < 0.001, label);
        }
        // Every pick of every layer's router is counted once: on the CPU where it runs, as the routing comes back for a
        // split layer, from a copy the next wait brings in for a layer whose experts are all on the GPU.
        for (int il = 0; il < 4; il++) Assert.Equal((prompt.Length + decode.Length) * 4L, usage.Total(il));
    }

    [Fact]
    public void GreedyDecodingAndLogitsReadInPlaceMatchTheLogitsWithTheHeadOnEitherSide()
    {
        TestBackends.RequireGpu();
        var path = Model(GgmlType.MXFP4);
        var prompt = CudaModelTests.RandomTokens(8, 20, 201088);
        foreach (var placement in new[] { "split", "ngl2" })
        {
            var options = new GptOssPredictorOptions { ContextSize = 128, Device = DeviceChoice.Cuda, Placement = Placement(placement) };
            using var a = GptOssPredictor.Open(path, options);
            using var b = GptOssPredictor.Open(path, options);
            using var c = GptOssPredictor.Open(path, options);   // logits read in place: the same values as a's copies
            Assert.Equal(placement == "split", b.SamplesOnDevice);
            var logits = new float[a.VocabularySize];
            a.Evaluate(prompt, logits);
            Assert.True(c.Evaluate(prompt).SequenceEqual(logits));
            int next = b.EvaluateGreedy(prompt);
            for (int i = 0; i < 8; i++)
            {
                int expected = Array.IndexOf(logits, logits.Max());
                Assert.Equal(expected, next);
                a.Evaluate([expected], logits);
                Assert.True(c.Evaluate([expected]).SequenceEqual(logits), $"step {i}: the logits read in place differ");
                next = b.EvaluateGreedy([expected]);
            }
        }
    }

    [Fact]
    public void ExpertsSplitBetweenTheDevicesKeepOnlyTheGpuShareInVram()
    {
        TestBackends.RequireGpu();
        var path = Model(GgmlType.MXFP4);
        long Weights(TensorPlacement? placement)
        {
            using var p = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = 128, Device = DeviceChoice.Cuda, Placement = placement });
            return p.Model.Backend is HybridBackend h ? h.Gpu.WeightBytes : ((Tessera.Backends.Cuda.CudaBackend)p.Model.Backend).WeightBytes;
        }
        long all = Weights(null), half = Weights(Placement("split")), none = Weights(Placement("cpu-moe"));
        Assert.True(none < half && half < all, $"weights in VRAM: all {all}, half the experts {half}, no experts {none}");
        // Half the experts' bytes (plus the CPU experts' bias rows, kept for staged batches).
        Assert.InRange(half - none, (all - none) * 0.45, (all - none) * 0.55);
    }
}
