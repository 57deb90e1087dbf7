// `--device`, `-ngl` and `-fa` on run, chat, serve and bench (the 2-layer tiny model): the CPU on request, auto says why
// it runs on the CPU (or runs on the GPU), cuda without a GPU fails in one line, llama.cpp's GPU layer counts (0 = CPU,
// -1 or all = the device, a part = a placement on the GPU, said in one line), flash attention can't be switched off, and
// bench names the GPU and the placement.
// Whether this machine has a GPU is asked of CudaDeviceInfo.Probe: tests that need one answer or the other skip, saying why.

using System.Text.Json;
using Tessera.Backends.Cuda;

namespace Tessera.Tests.Cli;

public class DeviceOptionTests
{
    private static readonly CudaDeviceInfo? Gpu;
    private static readonly string NoGpuReason;

    static DeviceOptionTests() => Gpu = CudaDeviceInfo.Probe(out NoGpuReason);

    private static string[] Run(params string[] extra) => ["run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "2", "--seed", "1", .. extra];

    private static string[] Bench(params string[] extra) => ["bench", "-m", TestModels.Tiny, "-p", "4", "-n", "2", "-r", "1", .. extra];

    private static void SkipWithoutGpu()
    {
        if (Gpu is null) Assert.Skip($"needs a CUDA GPU ({NoGpuReason})");
    }

    private static void SkipWithGpu()
    {
        if (Gpu is not null) Assert.Skip($"needs a machine without a usable GPU; this one has {Gpu.Description}");
    }

    private static string OneLine(string err)
    {
        var lines = err.Trim().Split('\n');
        Assert.True(lines.Length == 1, err);
        return lines[0];
    }

    [Fact]
    public void RunOnTheCpuSaysSoWithoutANotice()
    {
        var (code, _, err) = CliRunner.Run(Run("--device", "cpu"));
        Assert.True(code == 0, err);
        Assert.Contains("device: cpu, ", err);
        Assert.DoesNotContain("running on the CPU", err);
    }

    [Fact]
    public void AutoWithoutAGpuSaysWhyAndRunsOnTheCpu()
    {
        SkipWithGpu();
        var (code, _, err) = CliRunner.Run(Run());
        Assert.True(code == 0, err);
        Assert.StartsWith($"{NoGpuReason}; running on the CPU\ndevice: cpu, ", err.Replace("\r\n", "\n"));
    }

    [Fact]
    public void AutoWithAGpuRunsOnIt()
    {
        SkipWithoutGpu();
        var (code, _, err) = CliRunner.Run(Run("--device", "auto"));
        Assert.True(code == 0, err);
        Assert.Contains($"device: cuda, {Gpu!.Name}", err);
        Assert.DoesNotContain("running on the CPU", err);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("bench")]
    public void CudaWithoutAGpuFailsInOneLineSayingWhy(string command)
    {
        SkipWithGpu();
        var (code, output, err) = CliRunner.Run(command == "run" ? Run("--device", "cuda") : Bench("--device", "cuda"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {NoGpuReason}", OneLine(err));
        Assert.Contains("GPU", err);
        Assert.Equal("", output);   // bench prints no table header before a load that fails
    }

    [Theory]
    [InlineData("run", "-p", "Hi")]
    [InlineData("chat")]
    [InlineData("serve", "--port", "0")]
    [InlineData("bench")]
    public void AnUnknownDeviceNamesTheAcceptedOnes(string command, params string[] extra)
    {
        var (code, _, err) = CliRunner.Run([command, "-m", TestModels.Tiny, "--device", "bogus", .. extra]);
        Assert.Equal(1, code);
        Assert.Equal("error: --device must be auto, cpu or cuda, not \"bogus\"", OneLine(err));
    }

    [Fact]
    public void ChatNamesTheDeviceInItsBanner()
    {
        var (code, output, err) = CliRunner.RunWith(null, "/exit\n", "chat", "-m", TestModels.Tiny, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.StartsWith("chatting with tiny-seed1 (device: cpu, ", output);
    }

    [Fact]
    public void NoGpuLayersIsTheCpu()
    {
        var (code, _, err) = CliRunner.Run(Run("-ngl", "0"));
        Assert.True(code == 0, err);
        Assert.Contains("device: cpu, ", err);
        Assert.DoesNotContain("running on the CPU", err);   // nothing was asked of the GPU, so nothing to explain
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("2")]
    [InlineData("99")]
    public void AllLayersIsTheDevice(string gpuLayers)
    {
        var (code, _, err) = CliRunner.Run(Run("-ngl", gpuLayers));
        Assert.True(code == 0, err);
        Assert.Contains(Gpu is null ? "device: cpu, " : $"device: cuda, {Gpu.Name}", err);
    }

    // -ngl 1 of 2 blocks: block 1 on the GPU, block 0 and the head in RAM, as llama.cpp places them; without a GPU, auto
    // runs on the CPU and says why.
    [Theory]
    [InlineData("run")]
    [InlineData("bench")]
    public void PartOfTheModelOnTheGpuIsAPlacement(string command)
    {
        var (code, output, err) = CliRunner.Run(command == "run" ? Run("-ngl", "1") : Bench("-ngl", "1", "--json"));
        Assert.True(code == 0, err);
        const string placement = "placement: blocks 0 in RAM, attention+KV of blocks 1 on GPU, head in RAM, all experts on GPU; ";
        if (Gpu is null) Assert.Contains($"{NoGpuReason}; running on the CPU", err);
        else Assert.Contains(placement, command == "run" ? err : output);
        if (command == "bench")
            foreach (var row in JsonDocument.Parse(output).RootElement.EnumerateArray())
            {
                Assert.Equal(1, row.GetProperty("n_gpu_layers").GetInt32());
                Assert.Equal(Gpu is null ? JsonValueKind.Null : JsonValueKind.String, row.GetProperty("placement").ValueKind);
            }
    }

    [Fact]
    public void PlacementFlagsAreAcceptedOnEveryCommandThatLoadsAModel()
    {
        string[] flags = ["--cpu-moe", "--n-cpu-moe", "1", "-ot", "attn_q=cpu,exps=CPU", "--gpu-memory", "8GiB"];
        var (code, _, err) = CliRunner.Run(Run(flags));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(Bench(flags));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.RunWith(null, "/exit\n", ["chat", "-m", TestModels.Tiny, .. flags]);
        Assert.True(code == 0, err);
    }

    // llama-bench's -ngl and -ncmoe lists: a row set per combination, each once (-ngl 0 is the CPU whatever -ncmoe says).
    [Fact]
    public void BenchGpuLayerAndCpuMoeListsGiveRowsPerCombination()
    {
        var (code, output, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "-p", "0", "-n", "1", "-r", "1", "-ngl", "0,1,99", "-ncmoe", "0,1", "--json");
        Assert.True(code == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
        Assert.Equal([0, 1, 1, -1, -1], rows.Select(r => r.GetProperty("n_gpu_layers").GetInt32()));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("bench")]
    public void GpuLayersOnTheCpuDeviceAreRefused(string command)
    {
        var (code, _, err) = CliRunner.Run(command == "run" ? Run("-ngl", "99", "--device", "cpu") : Bench("-ngl", "99", "--device", "cpu"));
        Assert.Equal(1, code);
        Assert.Contains("99 GPU layers were asked for on the CPU device", OneLine(err));
    }

    [Theory]
    [InlineData("run", "off")]
    [InlineData("run", "0")]
    [InlineData("bench", "0")]
    [InlineData("bench", "off")]
    public void FlashAttentionOffIsRefused(string command, string value)
    {
        var (code, _, err) = CliRunner.Run(command == "run" ? Run("-fa", value) : Bench("-fa", value));
        Assert.Equal(1, code);
        Assert.Equal("error: flash attention cannot be switched off: Tessera's attention is always fused", OneLine(err));
    }

    [Theory]
    [InlineData("-fa", "on")]
    [InlineData("--flash-attn", "auto")]
    [InlineData("-fa", "1")]
    public void FlashAttentionOnIsAccepted(string option, string value)
    {
        var (code, _, err) = CliRunner.Run(Run("--device", "cpu", option, value));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(Bench("--device", "cpu", option, value));
        Assert.True(code == 0, err);
    }

    [Fact]
    public void FlashAttentionAloneIsOnAndAnythingElseIsAnError()
    {
        var (code, _, err) = CliRunner.Run(Run("--device", "cpu", "-fa"));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(Run("-fa", "maybe"));
        Assert.Equal(1, code);
        Assert.Equal("error: --flash-attn must be on, off or auto, not \"maybe\"", OneLine(err));
    }

    // llama-bench's usual `-ngl 99` means the whole model on the GPU: the GPU when there is one, else (auto) the CPU
    // with the notice; every row names the backend and the GPU.
    [Fact]
    public void BenchTakesLlamaBenchsGpuLayersAndNamesTheGpu()
    {
        var (code, output, err) = CliRunner.Run(Bench("-ngl", "99", "--json"));
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        foreach (var row in json.RootElement.EnumerateArray())
        {
            var backend = row.GetProperty("backends").GetString()!;
            if (Gpu is null)
            {
                Assert.StartsWith("cpu, ", backend);
                Assert.Equal("", row.GetProperty("gpu").GetString());
                Assert.Equal(JsonValueKind.Null, row.GetProperty("gpu_mem_used").ValueKind);
            }
            else
            {
                Assert.StartsWith("cuda, ", backend);
                Assert.Equal(Gpu.Name, row.GetProperty("gpu").GetString());
                Assert.Equal(Gpu.Name, row.GetProperty("gpu_info").GetString());
                Assert.True(row.GetProperty("gpu_mem_used").GetInt64() > 0);
            }
        }
        if (Gpu is null) Assert.Contains($"{NoGpuReason}; running on the CPU", err);
    }

    // -ngl is a list, as in llama-bench: 0 gives CPU rows, -1 rows on --device (the CPU again on a machine without a GPU).
    [Fact]
    public void BenchGpuLayerListsGiveRowsPerDevice()
    {
        var (code, output, err) = CliRunner.Run(Bench("-ngl", "0,-1", "--csv"));
        Assert.True(code == 0, err);
        var lines = output.Trim().Split('\n');
        Assert.StartsWith("model,model_size,model_n_params,backend,gpu,n_threads,", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Contains(",\"cpu, ", lines[1]);
        Assert.Contains(",\"\",", lines[1]);   // no GPU on a CPU row
        Assert.Contains(Gpu is null ? ",\"cpu, " : $",\"{Gpu.Name}\",", lines[3]);
    }

    [Fact]
    public void BenchWithNoGpuLayersRunsOnTheCpuWhateverTheDevice()
    {
        var (code, md, err) = CliRunner.Run(Bench("-ngl", "0", "--device", "cuda"));
        Assert.True(code == 0, err);
        Assert.Contains("| backend | gpu | threads | test | t/s |", md);
        Assert.Matches(@"\| cpu, [^|]+ \|  \| \d+ \| pp4 \|", md);
    }
}
