// A child process of the side-by-side benchmark: runs one engine (Tessera or llama.cpp) on its own, so that each engine's
// resident memory is its own, and prints one JSON line per test for the parent (VsLlama) to read.

using System.Globalization;
using System.Text.Json;
using Tessera.Backends.Cpu;
using Tessera.Inference;

namespace Tessera.Benchmarks;

internal static class BenchWorker
{
    public const string Marker = "SAMPLE ";

    public static int Run(string[] args)
    {
        var a = new Args(args[1..]);
        string engine = args[0], path = a.String("-m");
        int threads = a.Int("-t", 2), repetitions = a.Int("-r", 3), depth = a.Int("-d", 0), seed = a.Int("--seed", 1);
        var prompts = a.Ints("-p", [64]);
        var generations = a.Ints("-n", [32]);
        IEnumerable<Sample> samples;
        if (engine == "llama")
        {
            Console.Error.WriteLine("llama.cpp system info: " + LlamaCppBench.Configure(a.String("--llama-avx", "auto")));
            samples = LlamaCppBench.Run(path, threads, prompts, generations, depth, repetitions, seed);
        }
        else
        {
            var isa = a.String("--isa", "") is { Length: > 0 } name ? CpuIsaSupport.FromEnvironment(name) : (CpuIsa?)null;
            var results = Benchmark.Run(path, new BenchmarkOptions
            {
                PromptSizes = prompts, GenerationLengths = generations, Threads = [threads], Depths = [depth],
                Repetitions = repetitions, Isa = isa, Seed = seed,
            });
            Console.Error.WriteLine("Tessera backend: " + results[0].Backend);
            samples = results.Select(r => new Sample("Tessera", r.Test, r.Threads, r.Tokens, r.SamplesNs, r.PeakResidentBytes, r.LoadAverage));
        }
        foreach (var s in samples)
        {
            Console.WriteLine(Marker + JsonSerializer.Serialize(s, BenchJson.Default.Sample));
            Console.Out.Flush();
        }
        return 0;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Sample))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Minimal option parsing: "-x value" pairs and flags.</summary>
internal sealed class Args(string[] args)
{
    public bool Has(string name) => args.Contains(name);

    public string String(string name, string? fallback = null)
    {
        int i = Array.IndexOf(args, name);
        if (i >= 0 && i + 1 < args.Length) return args[i + 1];
        return fallback ?? throw new ArgumentException($"{name} is required");
    }

    public int Int(string name, int fallback) => int.Parse(String(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public int[] Ints(string name, int[] fallback) => Has(name)
        ? String(name).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
        : fallback;
}
