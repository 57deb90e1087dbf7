// `depth`: generation (and prompt) speed with `-d` tokens in the cache beside an empty cache, for the fast attention path
// and the exact one (ggml's bits), on one model with two KV caches: the deep cache is filled once, then each round times
// -n decoded tokens on each cache with each path in turn (truncating back after each), so that a shared machine's drift
// over minutes moves all four alike. Prints the median and best tokens/s of each and the ratio deep / empty of the
// medians, the figure issue 13 asks for. `-p 512` adds prompt rounds (the prompt after the deep cache and from empty).
// Options: -m FILE, -d 4096, -n 8, --rounds 15, -p 0, --prompt-rounds 2, -t threads, --isa.

using System.Diagnostics;
using Tessera.Backends.Cpu;
using Tessera.Models.GptOss;

namespace Tessera.Benchmarks;

internal static class DepthBench
{
    public static int Run(string[] args)
    {
        var a = new Args(args);
        string path = a.String("-m");
        int depth = a.Int("-d", 4096), generate = a.Int("-n", 8), rounds = a.Int("--rounds", 15), prompt = a.Int("-p", 0);
        int promptRounds = a.Int("--prompt-rounds", 2), threads = a.Int("-t", 0);
        CpuIsa? isa = a.Has("--isa") ? CpuIsaSupport.FromEnvironment(a.String("--isa")) : null;
        var options = new GptOssPredictorOptions { ContextSize = depth + Math.Max(prompt, generate) + 1, Threads = threads, Isa = isa };
        using var deep = GptOssPredictor.Open(path, options);
        using var empty = new GptOssPredictor(deep.Model, options);
        var backend = (CpuBackend)deep.Model.Backend;
        var rng = new Random(1);
        var logits = new float[deep.VocabularySize];
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(deep.VocabularySize)).ToArray();

        Console.WriteLine($"{backend.Name}; load average {Inference.Benchmark.LoadAverage():F2}");
        var clock = Stopwatch.StartNew();
        deep.Evaluate(Tokens(depth), logits);
        Console.WriteLine($"filled {depth} positions in {clock.Elapsed.TotalSeconds:F1} s (fast path)");

        var samples = new Dictionary<string, List<double>>();
        void Time(string name, GptOssPredictor p, int keep, bool exact, int[] tokens, bool oneByOne)
        {
            backend.ExactAttention = exact;
            p.Truncate(keep);
            long start = Stopwatch.GetTimestamp();
            if (oneByOne)
                for (int i = 0; i < tokens.Length; i++) p.Evaluate(tokens.AsSpan(i, 1), logits);
            else
                p.Evaluate(tokens, logits);
            double rate = tokens.Length / Stopwatch.GetElapsedTime(start).TotalSeconds;
            (samples.TryGetValue(name, out var list) ? list : samples[name] = []).Add(rate);
        }

        // A first round untimed: buffers grow and the JIT settles.
        foreach (bool exact in new[] { false, true })
        {
            Time("warm-up", empty, 0, exact, Tokens(generate), oneByOne: true);
            Time("warm-up", deep, depth, exact, Tokens(generate), oneByOne: true);
        }
        samples.Clear();
        for (int r = 0; r < rounds; r++)
            foreach (bool exact in new[] { false, true })
            {
                string kind = exact ? "exact" : "fast";
                Time($"tg{generate} {kind}", empty, 0, exact, Tokens(generate), oneByOne: true);
                Time($"tg{generate} @ d{depth} {kind}", deep, depth, exact, Tokens(generate), oneByOne: true);
            }
        for (int r = 0; r < (prompt > 0 ? promptRounds : 0); r++)
            foreach (bool exact in new[] { false, true })
            {
                string kind = exact ? "exact" : "fast";
                Time($"pp{prompt} {kind}", empty, 0, exact, Tokens(prompt), oneByOne: false);
                Time($"pp{prompt} @ d{depth} {kind}", deep, depth, exact, Tokens(prompt), oneByOne: false);
            }
        backend.ExactAttention = false;

        static double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
        foreach (var (name, rates) in samples)
            Console.WriteLine($"{name,-22} median {Median(rates),7:F2} t/s, best {rates.Max(),7:F2}, {rates.Count} rounds");
        foreach (var test in new[] { $"tg{generate}", $"pp{prompt}" })
            foreach (var kind in new[] { "fast", "exact" })
                if (samples.TryGetValue($"{test} @ d{depth} {kind}", out var atDepth) && samples.TryGetValue($"{test} {kind}", out var fromEmpty))
                    Console.WriteLine($"{test} {kind}: depth {depth} / empty = {Median(atDepth) / Median(fromEmpty):F2}");
        Console.WriteLine($"load average {Inference.Benchmark.LoadAverage():F2}, {clock.Elapsed.TotalMinutes:F1} min");
        return 0;
    }
}
