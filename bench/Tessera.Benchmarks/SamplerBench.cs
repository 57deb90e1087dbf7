// `sampling`: the host sampler alone over gpt-oss's 201,088 logits, for greedy, temperature 1, temperature 1 + top-p 0.95
// and top-k 40: mean microseconds per Sampler.Sample call over -n calls (default 1,000) after a warm-up past tiered
// compilation (half a second on another sampler, then 200 calls) (wall time, and the process's CPU time, which other
// processes on a shared machine move less), the logits
// rotating through 8 rows so that each call reads fresh memory as after a forward pass. Two
// shapes of logits: "peaked" (a few dozen plausible tokens far above a normal spread, as a trained model's are) and "flat"
// (one normal spread: a nucleus of tens of thousands of tokens, the worst case for top-p). Options: -n, --vocab, --seed,
// --exact (the exact path: a scalar exp per candidate, as before issue 13), --parts (the cost of each pass alone: the
// scan for the maximum with and without the blocks' masses, the head for top-p with its tail as None/Bounds/Mass, a copy,
// LogitScan's max and index, the weights).

using System.Diagnostics;
using System.Globalization;
using Tessera.Inference;

namespace Tessera.Benchmarks;

internal static class SamplerBench
{
    public static int Run(string[] args)
    {
        var a = new Args(args);
        int calls = a.Int("-n", 1000), vocab = a.Int("--vocab", 201_088), seed = a.Int("--seed", 1);
        Console.WriteLine($"load average: {Benchmark.LoadAverage():F2}; {vocab} logits, mean of {calls} calls");
        if (a.Has("--parts"))
        {
            var r = Logits(vocab, seed, peaked: true);
            var w = new float[vocab];
            var copy = new float[vocab];
            var sampler = new Sampler(new SamplingOptions { TopP = 0.95f }, vocab);
            for (int rep = 0; rep < 3; rep++)
            {
                var s0 = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) sampler.AdjustLogits(r[i % 8], []);
                Console.WriteLine($"adjust (no copy without bias, penalties or mask) {s0.Elapsed.TotalMicroseconds / calls:F1}");
                s0.Restart();
                for (int i = 0; i < calls; i++) sampler.Scan(r[i % 8]);
                Console.WriteLine($"scan {s0.Elapsed.TotalMicroseconds / calls:F1}");
                s0.Restart();
                for (int i = 0; i < calls; i++) sampler.Scan(r[i % 8], withTailMass: true);
                Console.WriteLine($"scan with the blocks' masses {s0.Elapsed.TotalMicroseconds / calls:F1}");
                foreach (var tail in new[] { Sampler.Tail.None, Sampler.Tail.Bounds, Sampler.Tail.Mass })
                {
                    s0.Restart();
                    int heads = 0;
                    for (int i = 0; i < calls; i++) { sampler.Scan(r[i % 8], withTailMass: true); heads += sampler.PrepareHead(r[i % 8], 512, tail); }
                    Console.WriteLine($"scan+head {tail} {s0.Elapsed.TotalMicroseconds / calls:F1} (head {heads / calls})");
                }
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) r[i % 8].CopyTo(copy, 0);
                Console.WriteLine($"copy {sw.Elapsed.TotalMicroseconds / calls:F1}");
                sw.Restart();
                float mx = 0;
                for (int i = 0; i < calls; i++) mx = LogitScan.Max(r[i % 8], out _, out _);
                Console.WriteLine($"max {sw.Elapsed.TotalMicroseconds / calls:F1}");
                sw.Restart();
                for (int i = 0; i < calls; i++) LogitScan.IndexOf(r[i % 8], mx);
                Console.WriteLine($"indexof {sw.Elapsed.TotalMicroseconds / calls:F1}");
                sw.Restart();
                for (int i = 0; i < calls; i++) Sampler.Weigh(r[i % 8], w, 1, 27f);
                Console.WriteLine($"weigh {sw.Elapsed.TotalMicroseconds / calls:F1}");
                sw.Restart();
                for (int i = 0; i < calls; i++) Sampler.Weigh(r[i % 8], w, 1, 100f);
                Console.WriteLine($"weigh (no head) {sw.Elapsed.TotalMicroseconds / calls:F1}");
            }
            return 0;
        }
        Console.WriteLine($"{"logits",-8} {"sampling",-22} {"µs/call",9} {"cpu µs",9} {"kept",7}");
        foreach (var (shape, rows) in new[] { ("peaked", Logits(vocab, seed, peaked: true)), ("flat", Logits(vocab, seed, peaked: false)) })
        {
            foreach (var (name, options) in Settings)
            {
                var sampler = new Sampler(options with { Seed = 42 }, vocab) { ExactPath = a.Has("--exact") };
                int checksum = 0;
                // Warm-up past tiered compilation's delay (100 ms) at any speed: half a second on another sampler, so that
                // the checksum stays that of a fixed number of calls; then 200 calls on this one.
                var jit = new Sampler(options with { Seed = 42 }, vocab) { ExactPath = a.Has("--exact") };
                for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 500;) jit.Sample(rows[0], []);
                for (int i = 0; i < Math.Max(200, calls / 5); i++) checksum += sampler.Sample(rows[i % rows.Length], []);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) checksum += sampler.Sample(rows[i % rows.Length], []);
                double us = watch.Elapsed.TotalMicroseconds / calls;
                double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / calls;
                int kept = sampler.KeptTokens(rows[0], []).Length;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape,-8} {name,-22} {us,9:F1} {cpuUs,9:F1} {kept,7}   (checksum {checksum})"));
            }
        }
        return 0;
    }

    private static readonly (string Name, SamplingOptions Options)[] Settings =
    [
        ("greedy", SamplingOptions.Greedy),
        ("temp 1", new SamplingOptions()),
        ("temp 1 + top-p 0.95", new SamplingOptions { TopP = 0.95f }),
        ("temp 1 + top-k 40", new SamplingOptions { TopK = 40 }),
    ];

    // 8 rows of logits: a normal spread (σ = 2.5 peaked, 1 flat) and, when peaked, 40 tokens lifted 8 to 16 above it.
    private static float[][] Logits(int vocab, int seed, bool peaked)
    {
        var rng = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var rows = new float[8][];
        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r] = new float[vocab];
            for (int i = 0; i < vocab; i++) row[i] = Normal() * (peaked ? 2.5f : 1f);
            if (peaked)
                for (int j = 0; j < 40; j++) row[rng.Next(vocab)] += 8 + 8 * (float)rng.NextDouble();
        }
        return rows;
    }
}
