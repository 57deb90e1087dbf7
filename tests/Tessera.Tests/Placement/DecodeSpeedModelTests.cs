// The decode-speed model: all on the CPU is the bytes a token reads over the CPU's bandwidth; all on the GPU adds the
// small kernels of each block and nothing else; a hybrid block costs the slower of its two expert sets plus one
// synchronisation and the launches; the KV cache is read to the depth asked, the window on sliding-window blocks.

using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Tests.Placement;

public class DecodeSpeedModelTests
{
    private static readonly ModelTensors Gpt20b = VramModelTests.Gpt20b;
    private static readonly Bandwidths Bw = new(50e9, "test", 1000e9, "test");

    // What a token reads with uniform routing: every non-expert tensor but the embedding, k experts a block, the KV cache.
    private static double TokenBytes(int depth) =>
        Gpt20b.Tensors.Where(t => !t.IsExpert && t.Name != "token_embd.weight").Sum(t => (double)t.Bytes)
        + 24 * 4 * VramModel.ExpertBytes(Gpt20b, 0)
        + Enumerable.Range(0, 24).Sum(il => DecodeSpeedModel.KvReadBytes(Gpt20b.HyperParameters, il, depth));

    [Fact]
    public void AllOnTheCpuIsTheBytesOfATokenOverTheCpusBandwidth()
    {
        var p = DecodeSpeedModel.Predict(Gpt20b, TensorPlacement.All(Device.Cpu, 24, 32), Bw, 1000);
        Assert.Equal(TokenBytes(1000), p.CpuBytesPerToken, 1e-6 * p.CpuBytesPerToken);
        Assert.Equal(0, p.GpuBytesPerToken);
        Assert.Equal(0, p.OverheadSeconds);
        Assert.Equal(TokenBytes(1000) / 50e9, p.SecondsPerToken, 1e-9);
        Assert.Equal(1000, p.KvDepth);
    }

    [Fact]
    public void AllOnTheGpuAddsOnlyTheSmallKernelsOfEachBlock()
    {
        var p = DecodeSpeedModel.Predict(Gpt20b, TensorPlacement.All(Device.Cuda(0), 24, 32), Bw, 2048);
        Assert.Equal(0, p.CpuBytesPerToken);
        Assert.Equal(24 * DecodeSpeedModel.SmallKernelsSecondsPerBlock, p.OverheadSeconds, 1e-12);
        Assert.Equal(TokenBytes(2048) / 1000e9 + p.OverheadSeconds, p.SecondsPerToken, 1e-9);
    }

    [Fact]
    public void AHybridBlockCostsTheSlowerExpertSetASyncAndTheLaunches()
    {
        // Attention and head on the GPU, 16 of 32 experts per block: the CPU half is the slower one.
        var placement = new TensorPlacement(24, 32, n => n == "token_embd.weight" ? Device.Cpu : Device.Cuda(0),
            _ => Enumerable.Range(0, 32).Select(e => e < 16).ToArray());
        var p = DecodeSpeedModel.Predict(Gpt20b, placement, Bw, 0);
        double expert = VramModel.ExpertBytes(Gpt20b, 0);
        double dense = Gpt20b.Tensors.Where(t => !t.IsExpert && t.Name != "token_embd.weight").Sum(t => (double)t.Bytes);
        double perBlockOverhead = DecodeSpeedModel.SyncSeconds + DecodeSpeedModel.SmallKernelsSecondsPerBlock
            + DecodeSpeedModel.KernelLaunchesPerBlock * DecodeSpeedModel.LaunchSeconds;
        Assert.Equal(24 * perBlockOverhead, p.OverheadSeconds, 1e-12);
        Assert.Equal(dense / 1000e9 + 24 * (2 * expert / 50e9) + p.OverheadSeconds, p.SecondsPerToken, 1e-9);
        Assert.Equal(24 * 2 * expert, p.CpuBytesPerToken, 1.0);
    }

    [Fact]
    public void CountedRoutingWeighsEachExpertByItsShare()
    {
        var usage = new ExpertUsage(24, 32);
        for (int il = 0; il < 24; il++) usage.Add(il, 0, 1000);   // the router only ever picks expert 0
        var onlyExpert0OnGpu = new TensorPlacement(24, 32, n => n == "token_embd.weight" ? Device.Cpu : Device.Cuda(0),
            _ => Enumerable.Range(0, 32).Select(e => e == 0).ToArray());
        var p = DecodeSpeedModel.Predict(Gpt20b, onlyExpert0OnGpu, Bw, 0, usage);
        Assert.Equal(0, p.CpuBytesPerToken);
        var uniform = DecodeSpeedModel.Predict(Gpt20b, onlyExpert0OnGpu, Bw, 0);
        Assert.Equal(24 * 4 * 31 / 32.0 * VramModel.ExpertBytes(Gpt20b, 0), uniform.CpuBytesPerToken, 1.0);
    }

    [Fact]
    public void BlocksInRamReadTheirAttentionAndKvOnTheCpuAndEachCrossingCostsASync()
    {
        var request = new PlacementRequest { GpuLayers = 14 };
        var plan = PlacementPlanner.Plan(Gpt20b, new PlanOptions { GpuMemoryBytes = 16L << 30, Request = request });
        var p = DecodeSpeedModel.Predict(plan, Bw, 0);
        // Blocks 0-9 and the head on the CPU: two crossings, 9 → 10 and 23 → head.
        double crossings = 2 * DecodeSpeedModel.SyncSeconds;
        double gpuBlock = DecodeSpeedModel.SmallKernelsSecondsPerBlock + DecodeSpeedModel.KernelLaunchesPerBlock * DecodeSpeedModel.LaunchSeconds;
        Assert.Equal(crossings + 14 * gpuBlock, p.OverheadSeconds, 1e-12);
        Assert.True(p.CpuBytesPerToken > 10 * 4 * VramModel.ExpertBytes(Gpt20b, 0) + Gpt20b.Find("output.weight")!.Bytes);
    }

    [Theory]
    [InlineData(0, 2048, 128)]    // sliding window: the last 128 positions
    [InlineData(1, 2048, 2048)]   // full attention: every position
    [InlineData(0, 100, 100)]
    public void TheKvCacheIsReadToTheDepthOrTheWindow(int layer, int depth, int slots) =>
        Assert.Equal(slots * 2048.0, DecodeSpeedModel.KvReadBytes(Gpt20b.HyperParameters, layer, depth));

    [Fact]
    public void TheDefaultDepthIsHalfTheContext()
    {
        var plan = PlacementPlanner.Plan(Gpt20b, new PlanOptions { GpuMemoryBytes = 8L << 30, ContextSize = 8192 });
        Assert.Equal(4096, DecodeSpeedModel.Predict(plan, Bw).KvDepth);
    }
}
