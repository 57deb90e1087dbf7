// `tessera plan`: the placement for a budget without a GPU, as tables and as JSON, for a file (the tiny model) or a
// published shape (gpt-oss-20b from its layout); the flags honoured; bad values refused naming the option as typed; the
// budget asked for when there is no GPU to read it from; counts saved by earlier runs used.

using System.Text.Json;
using Tessera.Backends.Cuda;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Placement;

namespace Tessera.Tests.Cli;

public class PlanCommandTests
{
    private static HubEnvironment Home() => new(TestModels.TempPath("home"));

    private static (int Code, string Out, string Err) Plan(HubEnvironment hub, params string[] args) =>
        CliRunner.RunWith(hub, null, ["plan", "--cpu-bandwidth", "40", "--gpu-bandwidth", "1000", .. args]);

    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement;

    [Fact]
    public void TheTinyModelFitsAndTheTablesSaySo()
    {
        var (code, output, err) = Plan(Home(), "-m", TestModels.Tiny, "--gpu-memory", "1GiB");
        Assert.True(code == 0, err);
        Assert.Contains("tiny-seed1.gguf: 2 blocks, 4 experts (2 per token), context 4096, batch 512", output);
        Assert.Contains("budget: 1.0 GiB (--gpu-memory)", output);
        Assert.Matches(@"│ 0-1 +│ GPU +│ 4/4 +│ 100% +│", output);
        Assert.Matches(@"│ token_embd +│ RAM +│", output);
        foreach (var part in new[] { "weights", "KV cache", "work buffers", "prefill staging", "CUDA context", "total" })
            Assert.Matches($@"│ {part} +│ +\d+ (MiB|GiB) │", output);
        Assert.Contains("bandwidths: CPU 40.0 GB/s (--cpu-bandwidth); GPU 1000 GB/s (--gpu-bandwidth)", output);
        Assert.Contains("decode: ", output);
        Assert.Contains("placement: everything on the GPU (the token embedding in RAM); ", output);
    }

    [Fact]
    public void The20bShapeAt8GiBKeepsAttentionOnTheGpuAndFillsItWithExperts()
    {
        var (code, output, err) = Plan(Home(), "--preset", "gpt-oss-20b", "--gpu-memory", "8GiB", "--json");
        Assert.True(code == 0, err);
        var json = Json(output);
        Assert.True(json.GetProperty("fits").GetBoolean());
        Assert.False(json.GetProperty("from_flags").GetBoolean());
        Assert.Equal("uniform", json.GetProperty("routing").GetString());
        Assert.Equal("gpu", json.GetProperty("head").GetString());
        var blocks = json.GetProperty("blocks").EnumerateArray().ToArray();
        Assert.Equal(24, blocks.Length);
        Assert.All(blocks, b => Assert.Equal("gpu", b.GetProperty("attention").GetString()));
        int experts = blocks.Sum(b => b.GetProperty("gpu_experts").GetArrayLength());
        Assert.InRange(experts / 768.0, 0.55, 0.70);
        var vram = json.GetProperty("vram");
        Assert.True(vram.GetProperty("total").GetInt64() <= 8L << 30);
        Assert.Equal(vram.GetProperty("weights").GetInt64() + vram.GetProperty("kv_cache").GetInt64() + vram.GetProperty("work_buffers").GetInt64()
            + vram.GetProperty("staging").GetInt64() + vram.GetProperty("context_overhead").GetInt64(), vram.GetProperty("total").GetInt64());
        Assert.True(json.GetProperty("prediction").GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.Equal(2048, json.GetProperty("prediction").GetProperty("kv_depth").GetInt32());
        Assert.StartsWith("placement: attention+head+KV on GPU, ", json.GetProperty("summary").GetString());
    }

    [Fact]
    public void GpuLayersAreHonouredAndReported()
    {
        var (code, output, err) = Plan(Home(), "-m", TestModels.Tiny, "--gpu-memory", "1GiB", "-ngl", "1", "--json");
        Assert.True(code == 0, err);
        var json = Json(output);
        Assert.True(json.GetProperty("from_flags").GetBoolean());
        var blocks = json.GetProperty("blocks").EnumerateArray().ToArray();
        Assert.Equal("cpu", blocks[0].GetProperty("attention").GetString());
        Assert.Equal(0, blocks[0].GetProperty("gpu_experts").GetArrayLength());
        Assert.Equal("gpu", blocks[1].GetProperty("attention").GetString());
        Assert.Equal(4, blocks[1].GetProperty("gpu_experts").GetArrayLength());
        Assert.Equal("cpu", json.GetProperty("head").GetString());
    }

    [Fact]
    public void OverridesAndNCpuMoeAreHonoured()
    {
        var (code, output, err) = Plan(Home(), "--preset", "gpt-oss-20b", "--gpu-memory", "16GiB", "--n-cpu-moe", "3",
            "-ot", @"blk\.2[0-3]\.ffn_(gate|up|down)_exps=CPU", "--json");
        Assert.True(code == 0, err);
        var counts = Json(output).GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("gpu_experts").GetArrayLength()).ToArray();
        Assert.Equal(Enumerable.Range(0, 24).Select(il => il < 3 || il >= 20 ? 0 : 32), counts);
    }

    [Fact]
    public void AnOverBudgetPlacementAskedForIsShownAndSaidToBeOver()
    {
        var (code, output, err) = Plan(Home(), "--preset", "gpt-oss-20b", "--gpu-memory", "6GiB", "-ngl", "24");
        Assert.True(code == 0, err);
        Assert.Contains("OVER THE BUDGET", output);
        Assert.Contains("note: the placement asked for needs ", output);
    }

    [Fact]
    public void TooSmallABudgetLeavesEverythingInRam()
    {
        var (code, output, err) = Plan(Home(), "-m", TestModels.Tiny, "--gpu-memory", "300MiB");
        Assert.True(code == 0, err);
        Assert.Contains("note: 300 MiB of GPU memory is too little to put anything on the GPU (the CUDA context and work buffers take ", output);
        Assert.Contains("placement: everything in RAM (the CPU); predicted ", output);
    }

    [Fact]
    public void CountsSavedForTheFileAreUsed()
    {
        var hub = Home();
        string key;
        using (var file = GgufFile.Open(TestModels.Tiny)) key = ExpertUsageStore.ModelKey(file);
        var usage = new ExpertUsage(2, 4);
        usage.Add(0, 3, 50);
        usage.Add(1, 2, 50);
        ExpertUsageStore.Save(ExpertUsageStore.PathFor(hub.TesseraPlacementCache, key), usage, "tiny", 0);
        var (code, output, err) = Plan(hub, "-m", TestModels.Tiny, "--gpu-memory", "1GiB", "--json");
        Assert.True(code == 0, err);
        Assert.Equal("counted", Json(output).GetProperty("routing").GetString());
        Assert.Equal(100, Json(output).GetProperty("counted_picks").GetInt64());
    }

    [Theory]
    [InlineData("--gpu-memory", "8", "error: --gpu-memory takes a size with a unit, such as 8GiB, 7.5G or 6000MiB, not \"8\"")]
    [InlineData("-ot", "exps", "error: -ot takes PATTERN=BUFFER (e.g. \"exps=cpu\"), not \"exps\"")]
    [InlineData("--override-tensor", "exps=tpu", "error: --override-tensor \"exps=tpu\": unknown buffer \"tpu\"; use cpu or cuda (llama.cpp's CPU and CUDA0, or gpu)")]
    [InlineData("--n-cpu-moe", "-2", "error: --n-cpu-moe must be a count of blocks from 0 up, not -2")]
    [InlineData("-ncmoe", "-2", "error: -ncmoe must be a count of blocks from 0 up, not -2")]
    [InlineData("-ngl", "-3", "error: -ngl must be -1 (all that fit), 0 (the CPU) or a count of blocks, not -3")]
    [InlineData("--gpu-layers", "-3", "error: --gpu-layers must be -1 (all that fit), 0 (the CPU) or a count of blocks, not -3")]
    public void BadValuesAreRefusedNamingTheOptionAsTyped(string option, string value, string message)
    {
        string[] budget = option == "--gpu-memory" ? [] : ["--gpu-memory", "8GiB"];
        var (code, _, err) = Plan(Home(), ["-m", TestModels.Tiny, .. budget, option, value]);
        Assert.Equal(1, code);
        Assert.Equal(message, err.Trim());
        (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", option, value);   // the same on the commands that load
        Assert.Equal(1, code);
        Assert.Equal(message, err.Trim());
    }

    [Fact]
    public void WithoutAGpuTheBudgetMustBeGiven()
    {
        if (CudaDeviceInfo.Probe(out var reason) is { } gpu) Assert.Skip($"needs a machine without a usable GPU; this one has {gpu.Description}");
        var (code, _, err) = Plan(Home(), "-m", TestModels.Tiny);
        Assert.Equal(1, code);
        Assert.Equal($"error: {reason}, so there is no free GPU memory to plan for: give a budget with --gpu-memory, e.g. --gpu-memory 8GiB", err.Trim());
    }

    [Fact]
    public void AModelFileOrAShapeIsNeeded()
    {
        Assert.Equal("error: give a model file with -m, or a shape with --preset (not both)", Plan(Home()).Err.Trim());
        Assert.Equal("error: unknown preset \"gpt-oss-7b\" (known: tiny, small, gpt-oss-20b, gpt-oss-120b)",
            Plan(Home(), "--preset", "gpt-oss-7b", "--gpu-memory", "8GiB").Err.Trim());
    }
}
