// `vs-llama`: Tessera and llama.cpp (LLamaSharp's CPU build) on the same GGUF, same thread count and same tests, in one
// run. Each engine runs in its own child process (BenchWorker), so resident memory is each engine's own; with several
// rounds the engines alternate, so a change in the machine's load hits both alike. Prints the machine, the load, both
// speeds (mean ± stddev over all repetitions), the ratio, peak resident memory, and the weight bytes each generated token
// reads and the read rate that implies; --plot draws a bar chart (ScottPlot).

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Models.GptOss;

namespace Tessera.Benchmarks;

internal static class VsLlama
{
    public static int Run(string[] args)
    {
        var a = new Args(args);
        string path = a.String("-m");
        int rounds = a.Int("--rounds", 1);
        var forward = new List<string> { "-m", path, "-t", a.String("-t", "2"), "-r", a.String("-r", "3"), "-d", a.String("-d", "0"),
            "-p", a.String("-p", "64"), "-n", a.String("-n", "32") };
        var tesseraArgs = forward.Concat(a.Has("--isa") ? ["--isa", a.String("--isa")] : []).ToList();
        var llamaArgs = forward.Concat(["--llama-avx", a.String("--llama-avx", "auto")]).ToList();

        Console.WriteLine($"machine: {CpuName()}, {Environment.ProcessorCount} logical cores, {MemoryGb():F1} GB RAM; " +
                          $"DOTNET_EnableAVX512={Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") ?? "(unset)"}, " +
                          $"AVX-512 in .NET: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        Console.WriteLine($"model: {path}; {BytesPerToken(path) / 1e9:F3} GB of weights read per generated token (at depth 0)");
        Console.WriteLine($"load average before: {Inference.Benchmark.LoadAverage():F2}");

        var samples = new List<Sample>();
        for (int round = 0; round < rounds; round++)
        {
            // Alternate which engine goes first.
            var order = round % 2 == 0 ? new[] { "tessera", "llama" } : ["llama", "tessera"];
            foreach (var engine in order)
                samples.AddRange(Child(engine, engine == "llama" ? llamaArgs : tesseraArgs));
        }
        Console.WriteLine($"load average after: {Inference.Benchmark.LoadAverage():F2}");
        Console.WriteLine();

        double bytesPerToken = BytesPerToken(path);
        var rows = samples.GroupBy(s => s.Test).Select(g => new Row(g.Key,
            Stats(g.Where(s => s.Engine == "Tessera")), Stats(g.Where(s => s.Engine == "llama.cpp")),
            g.Where(s => s.Engine == "Tessera").Max(s => s.PeakResidentBytes), g.Where(s => s.Engine == "llama.cpp").Max(s => s.PeakResidentBytes),
            g.Average(s => s.LoadAverage))).ToList();
        Console.WriteLine($"| test | threads | Tessera t/s | llama.cpp t/s | ratio | Tessera peak RSS | llama.cpp peak RSS | RSS ratio | load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Test} | {a.String("-t", "2")} | {r.Tessera.Mean:F2} ± {r.Tessera.Std:F2} | {r.Llama.Mean:F2} ± {r.Llama.Std:F2} | {r.Tessera.Mean / r.Llama.Mean:F2} | {r.TesseraRss / 1e9:F2} GB | {r.LlamaRss / 1e9:F2} GB | {(double)r.TesseraRss / r.LlamaRss:F2} | {r.Load:F1} |"));
        foreach (var r in rows.Where(r => r.Test.StartsWith("tg", StringComparison.Ordinal)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Test}: weights read at {bytesPerToken * r.Tessera.Mean / 1e9:F1} GB/s (Tessera), {bytesPerToken * r.Llama.Mean / 1e9:F1} GB/s (llama.cpp)"));

        if (a.Has("--plot"))
        {
            var png = a.String("--plot");
            BenchPlot.Save(png, rows.Select(r => (r.Test, r.Tessera.Mean, r.Tessera.Std, r.Llama.Mean, r.Llama.Std)).ToList(),
                $"{Path.GetFileName(path)}, {a.String("-t", "2")} threads, {CpuName()}");
            Console.WriteLine($"plot: {png}");
        }
        return 0;
    }

    private sealed record Row(string Test, (double Mean, double Std) Tessera, (double Mean, double Std) Llama, long TesseraRss, long LlamaRss, double Load);

    private static (double Mean, double Std) Stats(IEnumerable<Sample> samples)
    {
        var x = samples.SelectMany(s => s.TokensPerSecond).ToArray();
        if (x.Length == 0) return (double.NaN, double.NaN);
        double mean = x.Average();
        return (mean, x.Length < 2 ? 0 : Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1)));
    }

    // Runs this program as a worker for one engine and reads its SAMPLE lines; its stderr passes through.
    private static List<Sample> Child(string engine, List<string> args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(VsLlama).Assembly.Location);
        start.ArgumentList.Add("worker");
        start.ArgumentList.Add(engine);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        var samples = new List<Sample>();
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            if (!line.StartsWith(BenchWorker.Marker, StringComparison.Ordinal)) continue;
            var sample = JsonSerializer.Deserialize(line[BenchWorker.Marker.Length..], BenchJson.Default.Sample)!;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {sample.Engine} {sample.Test}: {string.Join(", ", sample.TokensPerSecond.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} t/s, peak RSS {sample.PeakResidentBytes / 1e9:F2} GB, load {sample.LoadAverage:F1}"));
            samples.Add(sample);
        }
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the {engine} worker failed with exit code {child.ExitCode}");
        return samples;
    }

    /// <summary>Bytes of weights one generated token reads at depth 0: every layer's attention, norms and router, the
    /// used experts' rows (k of E per layer), the output head and one embedding row.</summary>
    public static double BytesPerToken(string path)
    {
        using var file = GgufFile.Open(path);
        var hp = GptOssHyperParameters.FromGguf(file);
        double bytes = 0;
        foreach (var t in file.Tensors)
        {
            if (t.Name == "token_embd.weight") bytes += t.RowBytes;
            else if (t.Name.Contains("_exps", StringComparison.Ordinal)) bytes += (double)t.ByteSize * hp.ExpertUsedCount / hp.ExpertCount;
            else bytes += t.ByteSize;
        }
        return bytes;
    }

    private static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException) { return "unknown CPU"; }
    }

    private static double MemoryGb() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9;
}
