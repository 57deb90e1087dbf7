// `attention`: the CPU backend's attention op alone on gpt-oss-20b's shape (64 query heads over 8 KV heads of 64, F16
// cache, a full-attention layer) at several depths, the exact path (ggml's bits) beside the fast tiled path, for one
// decoded token or a batch: milliseconds per call (best of -r after a warm-up past tiered compilation; with one thread
// its CPU time, which other processes on a shared machine move less than wall time) and the cache read rate. Options:
// -t threads (list), --depths (list), --tokens (batch), --isa, -r, --window (0 = full), --only exact|fast (one path,
// e.g. under a profiler), --cold (caches flushed before each call, as in a forward pass, where a token streams gigabytes
// of weights between two visits to a layer's cache).

using System.Diagnostics;
using Tessera.Backends;
using Tessera.Backends.Cpu;
using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Benchmarks;

internal static class AttentionBench
{
    private const int Heads = 64, KvHeads = 8, HeadSize = 64;

    public static int Run(string[] args)
    {
        var a = new Args(args);
        var threadCounts = a.Ints("-t", [Environment.ProcessorCount]);
        var depths = a.Ints("--depths", [0, 1024, 4096]);
        int tokens = a.Int("--tokens", 1), reps = a.Int("-r", 30), window = a.Int("--window", 0);
        CpuIsa? isa = a.Has("--isa") ? CpuIsaSupport.FromEnvironment(a.String("--isa")) : null;

        var rng = new Random(1);
        var sinksPath = Path.Combine(Path.GetTempPath(), $"tessera-attention-bench-{Environment.ProcessId}.gguf");
        new GgufWriter().AddTensor("sinks", [Heads], Enumerable.Range(0, Heads).Select(_ => (float)rng.NextDouble() * 4 - 2).ToArray()).WriteTo(sinksPath);
        using var file = GgufFile.Open(sinksPath);
        var sinks = WeightTensor.Mapped(file, file.Tensors[0]);
        Console.WriteLine($"load average: {Inference.Benchmark.LoadAverage():F2}; {tokens} token(s), {Heads}/{KvHeads} heads of {HeadSize}, " +
            $"F16 cache, window {window}");
        try
        {
            foreach (int threads in threadCounts)
                foreach (int depth in depths)
                {
                    var line = $"depth {depth,5}, {threads,2} thread(s)";
                    double exact = 0;
                    foreach (bool exactPath in new[] { true, false })
                    {
                        if (a.Has("--only") && a.String("--only") != (exactPath ? "exact" : "fast")) continue;
                        using var b = new CpuBackend(threads, isa: isa) { ExactAttention = exactPath };
                        double ms = Time(b, rng, depth, tokens, window, sinks, reps, a.Has("--cold"));
                        double cacheBytes = 2.0 * (depth + tokens) * KvHeads * HeadSize * 2;
                        line += $" | {(exactPath ? "exact" : "fast ")} {ms,8:F3} ms {cacheBytes / ms / 1e6,6:F1} GB/s";
                        if (exactPath) exact = ms;
                        else line += exact > 0 ? $" | {exact / ms,5:F1}x  ({b.Isa})" : $" ({b.Isa})";
                    }
                    Console.WriteLine(line);
                }
        }
        finally
        {
            File.Delete(sinksPath);
        }
        return 0;
    }

    private static double Time(CpuBackend b, Random rng, int depth, int tokens, int window, WeightTensor sinks, int reps, bool cold)
    {
        var flush = new byte[cold ? 128 << 20 : 0];
        int slots = depth + tokens, kvWidth = KvHeads * HeadSize;
        using var q = b.NewTensor(GgmlType.F32, tokens, Heads * HeadSize);
        using var k = b.NewTensor(GgmlType.F16, slots, kvWidth);
        using var v = b.NewTensor(GgmlType.F16, slots, kvWidth);
        using var o = b.NewTensor(GgmlType.F32, tokens, Heads * HeadSize);
        using var queryPositions = b.NewTensor(GgmlType.I32, 1, tokens);
        using var keyPositions = b.NewTensor(GgmlType.I32, 1, slots);
        b.Write(Enumerable.Range(0, tokens * Heads * HeadSize).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), q);
        b.Write(Enumerable.Range(0, slots * kvWidth).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), k);
        b.Write(Enumerable.Range(0, slots * kvWidth).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), v);
        b.Write(Enumerable.Range(depth, tokens).ToArray(), queryPositions);
        b.Write(Enumerable.Range(0, slots).ToArray(), keyPositions);

        void Call() => b.Attention(q, k, v, queryPositions, keyPositions, slots, window, sinks, 0.125f, o);
        var warmUp = Stopwatch.StartNew();
        // 60 calls and half a second past tiered compilation, or 2 s of long calls (their loops are compiled on stack
        // replacement).
        for (int i = 0; (i < 60 || warmUp.ElapsedMilliseconds < 500) && (i < 3 || warmUp.ElapsedMilliseconds < 2000); i++)
        {
            Call();
            if (i == 40) Thread.Sleep(200);
        }
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            if (cold)
                for (int i = 0; i < flush.Length; i += 64) flush[i]++;
            if (b.Threads == 1)
            {
                double cpu = KernelBench.ThreadCpuSeconds();
                Call();
                times[r] = (KernelBench.ThreadCpuSeconds() - cpu) * 1e3;
                continue;
            }
            long start = Stopwatch.GetTimestamp();
            Call();
            times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return times.Min();
    }
}
