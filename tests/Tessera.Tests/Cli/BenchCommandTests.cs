// `tessera bench`: llama-bench's tests and fields in JSON, CSV and Markdown on the tiny model; bad options fail in one
// line; the ISA can be forced (TESSERA_CPU_ISA, --isa), and a runtime without AVX-512 (a child process with
// DOTNET_EnableAVX512=0, .NET 10's switch; DOTNET_EnableAVX512F=0, the older one, no longer has any effect) neither
// offers nor accepts the AVX-512 path. Tests of CPU kernels ask for --device cpu, so that they mean the same on a GPU machine.

using System.Diagnostics;
using System.Text.Json;
using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cli;

public class BenchCommandTests
{
    [Fact]
    public void JsonListsEveryTestWithLlamaBenchFields()
    {
        var (code, output, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "-p", "8,16", "-n", "4", "-r", "2", "-t", "2", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        var tests = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["pp8", "pp16", "tg4"], tests.Select(t => t.GetProperty("test").GetString()));
        foreach (var t in tests)
        {
            Assert.True(t.GetProperty("avg_ts").GetDouble() > 0);
            Assert.True(t.GetProperty("stddev_ts").GetDouble() >= 0);
            Assert.Equal(2, t.GetProperty("threads").GetInt32());
            Assert.Equal(0, t.GetProperty("depth").GetInt32());
            Assert.Equal(2, t.GetProperty("samples_ts").GetArrayLength());
            Assert.Contains("gpt-oss", t.GetProperty("model").GetString());
            Assert.Equal(JsonValueKind.String, t.GetProperty("gpu").ValueKind);      // the GPU's name, "" on the CPU
            Assert.Equal(t.GetProperty("gpu").GetString(), t.GetProperty("gpu_info").GetString());
            Assert.True(t.GetProperty("gpu_mem_used").ValueKind is JsonValueKind.Number or JsonValueKind.Null);
            Assert.Equal(t.GetProperty("gpu").GetString() == "", t.GetProperty("gpu_mem_used").ValueKind == JsonValueKind.Null);
        }
        Assert.Equal(16, tests[1].GetProperty("n_prompt").GetInt32());
        Assert.Equal(4, tests[2].GetProperty("n_gen").GetInt32());
        Assert.All(tests, t => Assert.Equal(16, t.GetProperty("n_ctx").GetInt32()));   // at least 16 positions
    }

    [Fact]
    public void EachTestHasTheContextLlamaBenchGivesIt()
    {
        // n_prompt + n_gen + n_depth per test, not the deepest test's context for all of them.
        var (code, output, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "-p", "24", "-n", "20", "-d", "0,40", "-r", "1", "-t", "2", "--json", "--device", "cpu");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        var tests = json.RootElement.EnumerateArray().Select(t => (t.GetProperty("test").GetString(), t.GetProperty("n_ctx").GetInt32())).ToArray();
        Assert.Equal([("pp24", 24), ("tg20", 20), ("pp24 @ d40", 64), ("tg20 @ d40", 60)], tests);
    }

    [Fact]
    public void MarkdownAndCsvHaveARowPerTestAndDepthsAreNamed()
    {
        var (code, md, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "-p", "8", "-n", "2", "-r", "1", "-d", "0,5", "--isa", "scalar", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("| model | size | params | backend | gpu | threads | test | t/s |", md);
        Assert.Contains("| pp8 |", md);
        Assert.Contains("| tg2 @ d5 |", md);
        Assert.Contains("scalar", md);
        (code, var csv, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "-p", "0", "-n", "3", "-r", "1", "--csv");
        Assert.True(code == 0, err);
        var lines = csv.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("model,model_size,model_n_params,backend,gpu,n_threads,", lines[0]);
        Assert.Contains("\"tg3\"", lines[1]);
    }

    [Fact]
    public void TurnsPlayAConversationWhoseLaterTurnsEvaluateOnlyTheirNewTokens()
    {
        // Replies of 700 tokens outrun the sliding-window ring (128 + 512 slots) every turn.
        var (code, output, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "--turns", "4", "--reasoning-tokens", "640",
            "--answer-tokens", "60", "--device", "cpu", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        var turns = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3, 4], turns.Select(t => t.GetProperty("turn").GetInt32()));
        Assert.Equal(0, turns[0].GetProperty("cached_tokens").GetInt32());
        for (int i = 0; i < turns.Length; i++)
        {
            var t = turns[i];
            int prompt = t.GetProperty("prompt_tokens").GetInt32(), cached = t.GetProperty("cached_tokens").GetInt32();
            Assert.Equal(prompt - cached, t.GetProperty("evaluated_tokens").GetInt32());
            Assert.Equal(t.GetProperty("new_tokens").GetInt32(), t.GetProperty("evaluated_tokens").GetInt32());
            Assert.True(t.GetProperty("ttft_ms").GetDouble() > 0);
            Assert.True(t.GetProperty("reply_tokens").GetInt32() > 700);
            if (i > 0) Assert.True(cached > turns[i - 1].GetProperty("prompt_tokens").GetInt32(), $"turn {i + 1} cached {cached}");
        }
        // A new user message and the re-rendered answer: about 40 + 60 tokens and harmony's tags, not the conversation.
        Assert.InRange(turns[^1].GetProperty("evaluated_tokens").GetInt32(), 100, 140);

        (code, var md, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "--turns", "2", "--reasoning-tokens", "10", "--answer-tokens", "5", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("| turn | prompt | cached | evaluated | new | ttft ms | prompt t/s | reply tokens |", md);
        Assert.Contains("| 2 |", md);
        (code, _, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "--turns", "-1");
        Assert.Equal(1, code);
        Assert.Contains("turns must be at least 1", err);
        (code, _, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, "--turns", "8", "--reasoning-tokens", "640");
        Assert.Equal(1, code);
        Assert.Contains("more than the model's 4096: use fewer --turns or shorter replies", err);
    }

    [Theory]
    [InlineData("-p", "x")]
    [InlineData("-r", "0")]
    [InlineData("--isa", "avx9000")]
    public void BadOptionsFailInOneLine(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("bench", "-m", TestModels.Tiny, option, value);
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void WithoutAvx512InTheRuntimeTheAvx512PathIsNeitherChosenNorAccepted()
    {
        if (!CpuIsaSupport.IsSupported(CpuIsa.Avx512)) Assert.Skip("this machine has no AVX-512 to switch off");
        var (code, output, _) = Child(null, "bench", "-m", TestModels.Tiny, "-p", "4", "-n", "2", "-r", "1", "--csv", "--device", "cpu");
        Assert.Equal(0, code);
        Assert.DoesNotContain("avx512", output);
        (code, _, var err) = Child("avx512", "bench", "-m", TestModels.Tiny, "-p", "4", "-n", "0", "-r", "1", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("TESSERA_CPU_ISA=avx512", err);
    }

    // The CLI in a child process with AVX-512 switched off (and TESSERA_CPU_ISA if given).
    private static (int, string, string) Child(string? isa, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_EnableAVX512"] = "0";
        start.Environment["DOTNET_EnableAVX512F"] = "0";
        if (isa is null) start.Environment.Remove(CpuIsaSupport.EnvironmentVariable);
        else start.Environment[CpuIsaSupport.EnvironmentVariable] = isa;
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        return (child.ExitCode, output.Result, error);
    }
}
