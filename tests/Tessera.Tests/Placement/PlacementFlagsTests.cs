// llama.cpp's placement flags as Tessera reads them: -ngl's mapping (the LAST N blocks; the head only above the block
// count), --cpu-moe, --n-cpu-moe, -ot (comma lists, llama.cpp's buffer names in any case, first match wins) and
// --gpu-memory sizes; bad values refused naming the option as typed.

using Tessera.Backends;
using Tessera.Placement;

namespace Tessera.Tests.Placement;

public class PlacementFlagsTests
{
    private const int Blocks = 24;
    private static readonly Device Gpu = Device.Cuda(0);

    private static bool OnGpu(PlacementRequest r, string name) => r.DeviceOf(name, Blocks, Gpu) != Device.Cpu;

    [Theory]
    [InlineData(0, 24, false)]
    [InlineData(1, 23, false)]
    [InlineData(14, 10, false)]
    [InlineData(24, 0, false)]
    [InlineData(25, 0, true)]
    [InlineData(-1, 0, true)]
    public void GpuLayersPutTheLastBlocksOnTheGpuAndTheHeadOnlyAboveTheBlockCount(int gpuLayers, int firstGpuBlock, bool head)
    {
        var r = new PlacementRequest { GpuLayers = gpuLayers };
        for (int il = 0; il < Blocks; il++)
            foreach (var tensor in new[] { "attn_q.weight", "attn_sinks.weight", "ffn_gate_inp.weight", "ffn_up_exps.weight", "ffn_down_exps.bias" })
                Assert.Equal(il >= firstGpuBlock, OnGpu(r, $"blk.{il}.{tensor}"));
        Assert.Equal(head, OnGpu(r, "output.weight"));
        Assert.Equal(head, OnGpu(r, "output_norm.weight"));
        Assert.False(OnGpu(r, "token_embd.weight"));
        Assert.Equal(gpuLayers is >= 1 and <= Blocks, r.IsExplicit(Blocks));
    }

    [Fact]
    public void NCpuMoeKeepsTheExpertsOfTheFirstBlocksInRam()
    {
        var r = new PlacementRequest { NCpuMoe = 12 };
        Assert.True(r.IsExplicit(Blocks));
        for (int il = 0; il < Blocks; il++)
        {
            Assert.True(OnGpu(r, $"blk.{il}.attn_q.weight"));
            foreach (var t in new[] { "ffn_gate_exps.weight", "ffn_up_exps.weight", "ffn_down_exps.weight", "ffn_gate_exps.bias" })
                Assert.Equal(il >= 12, OnGpu(r, $"blk.{il}.{t}"));
        }
        Assert.True(OnGpu(r, "output.weight"));
    }

    [Fact]
    public void CpuMoeKeepsEveryExpertInRam()
    {
        var r = new PlacementRequest { CpuMoe = true };
        Assert.False(OnGpu(r, "blk.23.ffn_down_exps.weight"));
        Assert.True(OnGpu(r, "blk.23.ffn_gate_inp.weight"));   // the router is not an expert tensor
        Assert.True(OnGpu(r, "blk.0.attn_output.weight"));
    }

    [Fact]
    public void TheFirstOverrideThatMatchesWinsOverLaterOnesAndOverGpuLayers()
    {
        var r = new PlacementRequest
        {
            GpuLayers = 14,
            Overrides = [.. TensorOverride.ParseList(@"attn_q=CPU,blk\.1\.=CUDA0"), .. TensorOverride.ParseList("exps=cuda")],
        };
        Assert.False(OnGpu(r, "blk.1.attn_q.weight"));    // first rule, before the second
        Assert.True(OnGpu(r, "blk.1.attn_k.weight"));     // second rule, although -ngl 14 leaves block 1 in RAM
        Assert.False(OnGpu(r, "blk.20.attn_q.weight"));   // first rule, although -ngl puts block 20 on the GPU
        Assert.True(OnGpu(r, "blk.2.ffn_up_exps.weight")); // third rule
        Assert.False(OnGpu(r, "blk.2.attn_k.weight"));    // no rule: -ngl
        Assert.True(r.IsExplicit(Blocks));
    }

    [Fact]
    public void OverridesComeBeforeNCpuMoe()
    {
        var r = new PlacementRequest { NCpuMoe = 24, Overrides = TensorOverride.ParseList(@"blk\.23\.ffn=gpu") };
        Assert.True(OnGpu(r, "blk.23.ffn_up_exps.weight"));
        Assert.False(OnGpu(r, "blk.22.ffn_up_exps.weight"));
    }

    [Theory]
    [InlineData("cpu", true)]
    [InlineData("CPU", true)]
    [InlineData("CUDA0", false)]
    [InlineData("cuda", false)]
    [InlineData("Cuda", false)]
    [InlineData("gpu", false)]
    [InlineData("GPU", false)]
    public void OverrideBuffersAreLlamaCppsNamesInAnyCase(string buffer, bool cpu)
    {
        var rule = Assert.Single(TensorOverride.ParseList($"exps={buffer}"));
        Assert.Equal(cpu ? Device.Cpu : Gpu, rule.Device);
        Assert.Equal("exps", rule.Pattern);
    }

    [Theory]
    [InlineData("exps", "-ot takes PATTERN=BUFFER (e.g. \"exps=cpu\"), not \"exps\"")]
    [InlineData("exps=tpu", "-ot \"exps=tpu\": unknown buffer \"tpu\"; use cpu or cuda (llama.cpp's CPU and CUDA0, or gpu)")]
    [InlineData("exps=CUDA1", "unknown buffer \"CUDA1\"")]
    [InlineData("=cpu", "-ot \"=cpu\": the pattern before '=' is empty")]
    [InlineData("a=cpu,b", "-ot takes PATTERN=BUFFER (e.g. \"exps=cpu\"), not \"b\"")]
    [InlineData("blk.(1=cpu", "-ot \"blk.(1=cpu\": \"blk.(1\" is not a valid regular expression")]
    public void BadOverridesAreRefusedInWords(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => TensorOverride.ParseList(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void OverrideMessagesNameTheOptionAsTyped()
    {
        var e = Assert.Throws<FormatException>(() => TensorOverride.ParseList("exps", "--override-tensor"));
        Assert.StartsWith("--override-tensor takes PATTERN=BUFFER", e.Message);
    }

    [Theory]
    [InlineData("8GiB", 8L << 30)]
    [InlineData("8G", 8L << 30)]
    [InlineData("8gb", 8L << 30)]
    [InlineData("7.5G", 7L * (1L << 30) + (1L << 29))]
    [InlineData("6000MiB", 6000L << 20)]
    [InlineData("6000 M", 6000L << 20)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1TiB", 1L << 40)]
    [InlineData("4096B", 4096)]
    public void MemorySizesCountIn1024s(string text, long bytes) => Assert.Equal(bytes, MemorySize.Parse(text));

    [Theory]
    [InlineData("8")]
    [InlineData("eight GiB")]
    [InlineData("0GiB")]
    [InlineData("-1G")]
    [InlineData("8 XB")]
    [InlineData("")]
    public void MemorySizesWithoutAUnitOrAboveZeroAreRefused(string text)
    {
        var e = Assert.Throws<FormatException>(() => MemorySize.Parse(text, "--gpu-memory"));
        Assert.StartsWith("--gpu-memory ", e.Message);
        Assert.Contains($"\"{text}\"", e.Message);
    }

    [Fact]
    public void NegativeCountsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new PlacementRequest { NCpuMoe = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new PlacementRequest { GpuLayers = -2 }.Validate());
        Assert.Throws<ArgumentException>(() => new TesseraModelOptions { GpuMemory = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new TesseraModelOptions { NCpuMoe = -3 }.Validate());
    }

    [Theory]
    [InlineData(0, DeviceChoice.Cpu)]
    [InlineData(1, DeviceChoice.Auto)]
    [InlineData(14, DeviceChoice.Auto)]
    [InlineData(-1, DeviceChoice.Auto)]
    public void APartialGpuLayerCountIsAPlacementOnTheDevice(int gpuLayers, DeviceChoice device) =>
        Assert.Equal(device, new TesseraModelOptions { GpuLayers = gpuLayers }.DeviceFor(Blocks));
}
