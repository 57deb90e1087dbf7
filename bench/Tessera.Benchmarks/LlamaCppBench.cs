// llama-bench's method (llama.cpp tools/llama-bench) run on llama.cpp through LLamaSharp's CPU backend, the same way
// Tessera's Benchmark runs it: per test an untimed warm-up (the prompt, or one token), then per repetition the KV cache is
// cleared, `depth` random tokens evaluated untimed, and the prompt (one batch, logits of the last token) or the generation
// (one token per decode) timed. Settings follow llama-bench's defaults: n_batch 2048, n_ubatch 512, F16 KV cache, flash
// attention on (llama.cpp's "auto" enables it on the CPU), mmap.

using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Tessera.Benchmarks;

internal static class LlamaCppBench
{
    /// <summary>Loads llama.cpp's native library once, with the AVX level asked for ("auto" = LLamaSharp's detection).</summary>
    public static string Configure(string avx)
    {
        var level = avx switch
        {
            "avx2" => (AvxLevel?)AvxLevel.Avx2,
            "avx512" => AvxLevel.Avx512,
            "auto" => null,
            _ => throw new ArgumentException($"--llama-avx is avx2, avx512 or auto, not {avx}"),
        };
        if (level is { } l) NativeLibraryConfig.All.WithAvx(l);
        NativeLibraryConfig.All.WithLogCallback((lvl, message) =>
        {
            if (lvl == LLamaLogLevel.Error) Console.Error.Write("llama.cpp: " + message);
        });
        NativeApi.llama_empty_call();
        return (System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "").Trim();
    }

    public static IEnumerable<Sample> Run(string path, int threads, IReadOnlyList<int> prompts, IReadOnlyList<int> generations, int depth, int repetitions, int seed)
    {
        uint context = (uint)(depth + Math.Max(prompts.DefaultIfEmpty(0).Max(), generations.DefaultIfEmpty(0).Max() + 1) + 16);
        var parameters = new ModelParams(path)
        {
            ContextSize = context,
            GpuLayerCount = 0,
            BatchSize = 2048,
            UBatchSize = 512,
            Threads = threads,
            BatchThreads = threads,
            FlashAttention = true,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context_ = weights.CreateContext(parameters);
        var rng = new Random(seed);
        int vocabulary = weights.Vocab.Count;
        var batch = new LLamaBatch();

        void Evaluate(int count, int position)
        {
            // One batch of `count` random tokens (logits of the last only), or one decode per token for count 1.
            batch.Clear();
            for (int i = 0; i < count; i++) batch.Add((LLamaToken)rng.Next(vocabulary), position + i, LLamaSeqId.Zero, i == count - 1);
            var result = context_.Decode(batch);
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
            context_.NativeHandle.Synchronize();
        }

        var tests = prompts.Where(p => p > 0).Select(p => (p, 0)).Concat(generations.Where(n => n > 0).Select(n => (0, n)));
        foreach (var (prompt, generate) in tests)
        {
            context_.NativeHandle.MemoryClear(true);
            Evaluate(prompt > 0 ? prompt : 1, 0);
            var samples = new List<long>();
            for (int r = 0; r < repetitions; r++)
            {
                context_.NativeHandle.MemoryClear(true);
                if (depth > 0)
                    for (int done = 0; done < depth; done += 512) Evaluate(Math.Min(512, depth - done), done);
                long start = Stopwatch.GetTimestamp();
                if (prompt > 0)
                    Evaluate(prompt, depth);
                else
                    for (int i = 0; i < generate; i++) Evaluate(1, depth + i);
                samples.Add((long)(Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1e6));
            }
            yield return new Sample("llama.cpp", TestName(prompt, generate, depth), threads, prompt + generate, samples, Inference.Benchmark.PeakResidentBytes(), Inference.Benchmark.LoadAverage());
        }
    }

    public static string TestName(int prompt, int generate, int depth) => (prompt > 0 ? $"pp{prompt}" : $"tg{generate}") + (depth > 0 ? $" @ d{depth}" : "");
}

/// <summary>One engine's repetitions of one test: nanoseconds per repetition and the process's peak resident memory.</summary>
internal sealed record Sample(string Engine, string Test, int Threads, int Tokens, IReadOnlyList<long> SamplesNs, long PeakResidentBytes, double LoadAverage)
{
    public IEnumerable<double> TokensPerSecond => SamplesNs.Select(ns => Tokens * 1e9 / ns);
}
