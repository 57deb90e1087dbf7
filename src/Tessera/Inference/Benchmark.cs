// llama-bench's method on Tessera (llama.cpp tools/llama-bench): per test, one untimed warm-up (the prompt, or one
// generated token), then per repetition the KV cache is cleared, `depth` random tokens are evaluated untimed, and the
// prompt (in batches, logits of the last token only) or the generation (one token at a time) is timed. Tokens are random
// ids, as llama-bench's. The model is loaded once per thread count. Each evaluation's logits are left where the backend
// keeps them (on a GPU, page-locked memory the step copies them into), as llama_decode leaves them in llama.cpp's output
// buffer; nothing copies them into an array.

using System.Diagnostics;
using System.Globalization;
using Tessera.Gguf;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Inference;

/// <summary>Measures prompt processing and generation speed like llama-bench.</summary>
public static class Benchmark
{
    /// <summary>Runs every test of <paramref name="options"/> on the gpt-oss GGUF at <paramref name="path"/>;
    /// <paramref name="onResult"/> sees each result as it is done.</summary>
    public static IReadOnlyList<BenchmarkResult> Run(string path, BenchmarkOptions options, Action<BenchmarkResult>? onResult = null,
        CancellationToken cancellationToken = default, Action<string>? onNotice = null)
    {
        options.Validate();
        var (description, size, parameters) = Describe(path);
        var results = new List<BenchmarkResult>();
        var threadCounts = options.Threads.Count > 0 ? options.Threads : [new TesseraModelOptions().EffectiveThreads];
        int longest = options.Depths.Max() + Math.Max(options.PromptSizes.Max(), options.GenerationLengths.Max() + 1);
        foreach (int threads in threadCounts)
        {
            var predictorOptions = new GptOssPredictorOptions
            {
                Threads = threads,
                Isa = options.Isa,
                BatchSize = options.BatchSize,
                ContextSize = Math.Max(longest, 16),
            };
            // Planned as a load plans, with the router counts of earlier runs; this run's counts are not kept, since
            // random tokens route unlike text.
            PlacementDecision decision;
            using (var file = GgufFile.Open(path))
                decision = PlacementDecision.Make(file, options.Placement.CpuOnly ? Backends.DeviceChoice.Cpu : options.Device, options.Placement,
                    options.GpuMemory, predictorOptions.ContextSize.Value, options.BatchSize, predictorOptions.KvCacheType, threads, PlacementCache.DefaultDirectory);
            // The model is loaded once; each test gets a KV cache of its own size, as llama-bench gives each test a context
            // of n_prompt + n_gen + n_depth (a cache sized for the deepest test would slow the shallow ones on a GPU, whose
            // decode attention looks at every slot). The placement above was planned for the largest.
            GptOssPredictor predictor;
            string? notice;
            using (decision)
                predictor = GptOssPredictor.Open(path, predictorOptions with
                {
                    Device = decision.Device,
                    Placement = decision.Placement,
                    ExpertUsage = decision.Placement is null ? null : decision.Usage,
                    ContextSize = 16,
                }, out notice);
            using var _ = predictor;
            if (decision.Note is not null) onNotice?.Invoke(decision.Note);
            if (notice is not null) onNotice?.Invoke(notice);
            var gpu = GpuOf(predictor)?.GpuInfo.Name;
            var rng = new Random(options.Seed);
            var backend = predictor.Model.Backend.Name;
            foreach (int depth in options.Depths)
            {
                var tests = options.PromptSizes.Where(p => p > 0).Select(p => (p, 0))
                    .Concat(options.GenerationLengths.Where(n => n > 0).Select(n => (0, n)));
                foreach (var (prompt, generate) in tests)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var test = new GptOssPredictor(predictor.Model, predictorOptions with { ContextSize = TestContext(depth, prompt, generate) });
                    // Warm-up, as llama-bench: the prompt once, or generated tokens (two, one at a time: a backend that records
                    // decode steps, CUDA graphs, records on a cache's second step, which is then not timed).
                    if (prompt > 0) test.Evaluate(Random(rng, prompt, test.VocabularySize), cancellationToken);
                    else
                        foreach (var token in Random(rng, Math.Min(2, test.ContextSize), test.VocabularySize))
                            test.Evaluate([token], cancellationToken);

                    var samples = new List<long>();
                    for (int r = 0; r < options.Repetitions; r++)
                    {
                        test.Truncate(0);
                        if (depth > 0) test.Evaluate(Random(rng, depth, test.VocabularySize), cancellationToken);
                        var tokens = Random(rng, Math.Max(prompt, generate), test.VocabularySize);
                        long start = Stopwatch.GetTimestamp();
                        if (prompt > 0)
                            test.Evaluate(tokens, cancellationToken);
                        else
                            for (int i = 0; i < generate; i++) test.Evaluate(tokens.AsSpan(i, 1), cancellationToken);
                        samples.Add((long)(Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1e6));
                    }
                    var result = new BenchmarkResult
                    {
                        Test = (prompt > 0 ? $"pp{prompt}" : $"tg{generate}") + (depth > 0 ? $" @ d{depth}" : ""),
                        Model = description,
                        ModelFile = path,
                        ModelSize = size,
                        ModelParameters = parameters,
                        Backend = backend,
                        Gpu = gpu,
                        GpuLayers = options.Placement.GpuLayers,
                        Placement = decision.Summary,
                        GpuMemoryUsedBytes = GpuMemoryUsed(predictor),
                        Threads = threads,
                        PromptSize = prompt,
                        GenerationLength = generate,
                        Depth = depth,
                        BatchSize = options.BatchSize,
                        ContextSize = test.ContextSize,
                        SamplesNs = samples,
                        PeakResidentBytes = PeakResidentBytes(),
                        LoadAverage = LoadAverage(),
                    };
                    results.Add(result);
                    onResult?.Invoke(result);
                }
            }
        }
        return results;
    }

    /// <summary>The context of one test, as llama-bench sizes it: n_prompt + n_gen + n_depth (at least 16 positions).</summary>
    public static int TestContext(int depth, int prompt, int generate) => Math.Max(16, depth + prompt + generate);

    // Device memory in use on the GPU (total − free, as the driver reports it), or −1 on the CPU.
    private static long GpuMemoryUsed(GptOssPredictor predictor)
    {
        if (GpuOf(predictor) is not { } cuda) return -1;
        var (free, total) = cuda.Context.MemoryInfo();
        return total - free;
    }

    // The CUDA side of the model's backend: the whole backend, or the GPU half of a hybrid one.
    private static Backends.Cuda.CudaBackend? GpuOf(GptOssPredictor predictor) => predictor.Model.Backend switch
    {
        Backends.Cuda.CudaBackend cuda => cuda,
        Backends.Hybrid.HybridBackend hybrid => hybrid.Gpu,
        _ => null,
    };

    private static int[] Random(Random rng, int count, int vocabulary)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = rng.Next(vocabulary);
        return tokens;
    }

    /// <summary>llama.cpp's model description (llama_model_desc): architecture, size class and file type; tensor bytes;
    /// parameter count.</summary>
    public static (string Description, long Size, long Parameters) Describe(string path)
    {
        using var file = GgufFile.Open(path);
        var hp = GptOssHyperParameters.FromGguf(file);
        string size = hp.BlockCount switch { 24 => "20B", 36 => "120B", _ => $"{hp.BlockCount}L" };
        // The quantisation as `tessera list` names it (general.file_type, else the type most matrix bytes are in).
        return ($"gpt-oss {size} {GgufFileType.Of(file)}", file.Tensors.Sum(x => x.ByteSize), file.Tensors.Sum(x => x.ElementCount));
    }

    /// <summary>The process's peak resident set (VmHWM on Linux, else the peak working set), in bytes.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>The 1-minute load average (Linux /proc/loadavg), or −1.</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }
}
