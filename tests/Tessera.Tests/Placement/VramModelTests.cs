// The GPU memory model on the gpt-oss-20b shape, planned from its layout without the 12 GB file: one expert is 13.25 MB
// (gate, up and down slices of MXFP4 plus bias rows), the experts 10.2 GB in all, the rest but the embedding 1.3 GB; the
// KV cache as KvCache sizes it; staging as the hybrid backend allocates it (one room for the most experts a block keeps
// in RAM, every expert bias on the GPU); work buffers and the CUDA context as stated.

using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Placement;
using Tessera.Quants;

namespace Tessera.Tests.Placement;

public class VramModelTests
{
    internal static readonly ModelTensors Gpt20b = ModelTensors.FromLayout(GptOssHyperParameters.Gpt20b);
    private static GptOssHyperParameters Hp => Gpt20b.HyperParameters;

    [Fact]
    public void TheLayoutIsTheFilesTensorTable()
    {
        Assert.Equal(459, Gpt20b.Tensors.Count);
        Assert.Equal(141_004_800, Gpt20b.Find("blk.0.ffn_gate_exps.weight")!.Bytes);   // facts §2.2
        Assert.Equal(12.1e9, Gpt20b.Tensors.Sum(t => t.Bytes), 0.2e9);
    }

    [Fact]
    public void OneExpertIsItsSlicesOfGateUpAndDownWithTheirBiasRows()
    {
        long mxfp4Slice = 2880L * (2880 / 32 * 17), biasRow = 2880L * 4;
        Assert.Equal(3 * mxfp4Slice + 3 * biasRow, VramModel.ExpertBytes(Gpt20b, 0));
        Assert.Equal(13_253_760, VramModel.ExpertBytes(Gpt20b, 23));
        Assert.Equal(10.18e9, 24.0 * 32 * VramModel.ExpertBytes(Gpt20b, 0), 0.01e9);
    }

    [Fact]
    public void WeightsOnTheGpuKeepTheirSizeOrBecomeF32()
    {
        var q8 = new PlannedTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [2880, 4096], 4096L * 3060);
        var bf16 = new PlannedTensor("blk.0.attn_q.weight", GgmlType.BF16, [2880, 4096], 2880L * 4096 * 2);
        var q4k = new PlannedTensor("blk.0.attn_q.weight", GgmlType.Q4_K, [2816, 16], 16L * 11 * 144);
        Assert.Equal(q8.Bytes, VramModel.WeightBytes(q8));
        Assert.Equal(2880L * 4096 * 4, VramModel.WeightBytes(bf16));
        Assert.Equal(2816L * 16 * 4, VramModel.WeightBytes(q4k));
    }

    [Theory]
    [InlineData(4096, 512, 12 * 4096 + 12 * (640 + 4096))]
    [InlineData(131072, 512, 12 * 131072 + 12 * (640 + 131072))]
    [InlineData(300, 512, 24 * 300)]      // the ring never exceeds the context, and then needs no history
    [InlineData(4096, 1, 12 * 4096 + 12 * (129 + 4096))]
    public void TheKvCacheHoldsTheContextOnFullBlocksAndWindowPlusBatchAndHistoryOnSlidingOnes(int context, int batch, long slots)
    {
        Assert.Equal(2048, VramModel.KvSlotBytes(Hp));   // 8 KV heads × 64 × (K and V) × F16
        Assert.Equal(slots * 2048, VramModel.KvCacheBytes(Hp, context, batch, _ => true));
        Assert.Equal(0, VramModel.KvCacheBytes(Hp, context, batch, _ => false));
        Assert.Equal(slots * 4096, VramModel.KvCacheBytes(Hp, context, batch, _ => true, GgmlType.F32));
    }

    [Theory]
    [InlineData(1024, 64, GgmlType.F16)]
    [InlineData(100, 64, GgmlType.F32)]   // ring = context: no history
    public void TheKvCacheModelCountsWhatKvCacheAllocates(int context, int batch, GgmlType type)
    {
        using var backend = new Tessera.Backends.Cpu.CpuBackend(threads: 1);
        var windows = Enumerable.Range(0, Hp.BlockCount).Select(il => GptOssHyperParameters.IsSlidingWindowLayer(il) ? Hp.SlidingWindow : 0).ToArray();
        using var cache = new Tessera.Inference.KvCache(backend, windows, Hp.HeadCountKv * Hp.KeyLength, context, batch, type);
        long elements = 0;
        for (int il = 0; il < Hp.BlockCount; il++)
        {
            var layer = cache.Layer(il);
            elements += layer.Keys.ElementCount + layer.Values.ElementCount
                + (layer.HistoryKeys?.ElementCount ?? 0) + (layer.HistoryValues?.ElementCount ?? 0);
        }
        Assert.Equal(elements * (type == GgmlType.F16 ? 2 : 4), VramModel.KvCacheBytes(Hp, context, batch, _ => true, type));
    }

    [Fact]
    public void WorkBuffersCoverABatchsActivationsScratchAndMargin()
    {
        long work = VramModel.WorkBufferBytes(Hp, 4096, 512);
        long activations = VramModel.ActivationBytes(Hp, 512);
        Assert.Equal(4L * 512 * (1 + 2 * 2880 + 2 * 4096 + 2 * 512 + 32 + 8 + 3 * 4 * 2880 + 4 * 2880), activations);
        Assert.Equal(131072L * 64 * 4, VramModel.RopeTableBytes(Hp));
        Assert.InRange(work, activations + VramModel.RopeTableBytes(Hp) + VramModel.WorkMarginBytes, 600L << 20);
        Assert.True(VramModel.WorkBufferBytes(Hp, 4096, 64) < work);
    }

    [Fact]
    public void StagingIsRoomForTheMostExpertsABlockKeepsInRam()
    {
        Assert.Equal(3 * 2880L * 1530, VramModel.ExpertSliceBytes(Gpt20b, 5));   // no bias rows
        long slice = VramModel.ExpertSliceBytes(Gpt20b, 0);
        // Room for 8 experts at most (a block with more in RAM is staged 8 at a time), and the 64 MiB of upload scratch.
        Assert.Equal(6 * 13_219_200L + (64L << 20), VramModel.StagingBytes(6, slice));
        Assert.Equal(8 * 13_219_200L + (64L << 20), VramModel.StagingBytes(32, slice));
        Assert.Equal(0, VramModel.StagingBytes(0, slice));
    }

    [Fact]
    public void EverythingOnTheGpuIsEveryTensorButTheEmbeddingAndNoStaging()
    {
        var all = TensorPlacement.All(Device.Cuda(0), 24, 32);
        var v = VramModel.Estimate(Gpt20b, all, 4096);
        long embedding = Gpt20b.Find("token_embd.weight")!.Bytes;
        Assert.Equal(Gpt20b.Tensors.Sum(t => t.Bytes) - embedding, v.Weights);
        Assert.Equal(VramModel.KvCacheBytes(Hp, 4096, 512, _ => true), v.KvCache);
        Assert.Equal(VramModel.WorkBufferBytes(Hp, 4096, 512), v.WorkBuffers);
        Assert.Equal(0, v.Staging);
        Assert.Equal(VramModel.ContextOverheadBytes, v.ContextOverhead);
        Assert.Equal(v.Weights + v.KvCache + v.WorkBuffers + v.ContextOverhead, v.Total);
        Assert.Same(VramEstimate.None, VramModel.Estimate(Gpt20b, TensorPlacement.All(Device.Cpu, 24, 32), 4096));
    }

    [Fact]
    public void ExpertsCountProRataAndStagingFollowsTheBlockWithTheMostInRam()
    {
        // Non-expert tensors on the GPU; block il holds il + 8 experts there (so block 0 keeps 24 in RAM, the most).
        var placement = new TensorPlacement(24, 32, n => n == "token_embd.weight" ? Device.Cpu : Device.Cuda(0),
            il => Enumerable.Range(0, 32).Select(e => e < il + 8).ToArray());
        var v = VramModel.Estimate(Gpt20b, placement, 4096);
        long slice = VramModel.ExpertSliceBytes(Gpt20b, 0), biases = 24 * 32 * (VramModel.ExpertBytes(Gpt20b, 0) - slice);
        long dense = Gpt20b.Tensors.Where(t => !t.IsExpert && t.Name != "token_embd.weight").Sum(t => t.Bytes);
        Assert.InRange(dense, 1.25e9, 1.35e9);   // attention, norms, routers and head: ≈ 1.3 GB
        // Every block keeps some experts in RAM: each adds its allocation slack.
        Assert.Equal(dense + Enumerable.Range(8, 24).Sum() * slice + biases + 24 * VramModel.SplitBlockSlackBytes, v.Weights);
        Assert.Equal(VramModel.StagingBytes(24, slice), v.Staging);
    }
}
