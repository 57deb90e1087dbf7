// One llama-bench-style result: a test (pp512, tg128, "pp512 @ d4096") and its speed over the repetitions.

namespace Tessera.Inference;

/// <summary>The speed of one benchmark test, as llama-bench reports it (tokens per second, mean ± sample stddev).</summary>
public sealed record BenchmarkResult
{
    /// <summary>llama-bench's test name: ppN or tgN, with " @ dD" for a depth.</summary>
    public required string Test { get; init; }

    /// <summary>Model description, e.g. <c>gpt-oss 20B MXFP4 MoE</c>.</summary>
    public required string Model { get; init; }

    /// <summary>The GGUF file.</summary>
    public required string ModelFile { get; init; }

    /// <summary>Bytes of tensor data.</summary>
    public required long ModelSize { get; init; }

    /// <summary>Parameters (tensor elements).</summary>
    public required long ModelParameters { get; init; }

    /// <summary>Backend and kernel strategy, e.g. <c>cpu avx512</c>.</summary>
    public required string Backend { get; init; }

    public required int Threads { get; init; }

    /// <summary>The GPU's name when the backend is CUDA, else null.</summary>
    public string? Gpu { get; init; }

    /// <summary>llama.cpp's n_gpu_layers the row was asked with (-1 = all).</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Where the weights went, in one line (PlacementPlan.Summary), when the model ran on a GPU; else null.</summary>
    public string? Placement { get; init; }

    /// <summary>GPU memory in use after the test (driver's total − free, all processes), or −1 on the CPU.</summary>
    public long GpuMemoryUsedBytes { get; init; } = -1;
    public required int PromptSize { get; init; }
    public required int GenerationLength { get; init; }
    public required int Depth { get; init; }
    public required int BatchSize { get; init; }

    /// <summary>Positions the test's KV cache holds: n_prompt + n_gen + n_depth, as llama-bench sizes a test's context.</summary>
    public int ContextSize { get; init; }

    /// <summary>Duration of each timed repetition, in nanoseconds.</summary>
    public required IReadOnlyList<long> SamplesNs { get; init; }

    /// <summary>Peak resident memory of the process so far (bytes), mapped weights included.</summary>
    public required long PeakResidentBytes { get; init; }

    /// <summary>1-minute load average when the test ended (Linux), for judging a shared machine's noise; −1 if unknown.</summary>
    public required double LoadAverage { get; init; }

    /// <summary>Tokens timed per repetition.</summary>
    public int Tokens => PromptSize + GenerationLength;

    /// <summary>Tokens per second of each repetition.</summary>
    public IReadOnlyList<double> SamplesTs => SamplesNs.Select(ns => Tokens * 1e9 / ns).ToArray();

    /// <summary>Mean tokens per second.</summary>
    public double AverageTs => SamplesTs.Average();

    /// <summary>Sample standard deviation of tokens per second (0 for one repetition).</summary>
    public double StddevTs => StandardDeviation(SamplesTs);

    /// <summary>Mean nanoseconds per repetition.</summary>
    public double AverageNs => SamplesNs.Average();

    /// <summary>Sample standard deviation of the nanoseconds.</summary>
    public double StddevNs => StandardDeviation(SamplesNs.Select(s => (double)s).ToArray());

    private static double StandardDeviation(IReadOnlyList<double> x)
    {
        if (x.Count < 2) return 0;
        double mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
    }
}
