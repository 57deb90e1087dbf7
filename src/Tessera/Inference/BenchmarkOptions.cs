// What `tessera bench` (and the side-by-side benchmark) measures, named as llama-bench names it.

using Tessera.Backends.Cpu;

namespace Tessera.Inference;

/// <summary>Options of <see cref="Benchmark"/>: one test per prompt size (ppN) and per generation length (tgN), for
/// every thread count and depth.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Prompt sizes (llama-bench -p): each gives a test ppN that evaluates N random tokens in batches. 0 = none.</summary>
    public IReadOnlyList<int> PromptSizes { get; init; } = [512];

    /// <summary>Generation lengths (llama-bench -n): each gives a test tgN that decodes N tokens one by one. 0 = none.</summary>
    public IReadOnlyList<int> GenerationLengths { get; init; } = [128];

    /// <summary>Thread counts (llama-bench -t); empty = the default (physical cores).</summary>
    public IReadOnlyList<int> Threads { get; init; } = [];

    /// <summary>Where to run: the CPU unless asked (the `bench` command defaults to auto, the GPU when one can be used).</summary>
    public Backends.DeviceChoice Device { get; init; } = Backends.DeviceChoice.Cpu;

    /// <summary>Placement flags (llama-bench's -ngl, -ncmoe, -ot); a model that runs on a GPU is planned for the budget.</summary>
    public Placement.PlacementRequest Placement { get; init; } = new();

    /// <summary>GPU memory the model may take; null = what the driver reports free, less a margin.</summary>
    public long? GpuMemory { get; init; }

    /// <summary>Tokens already in the KV cache before each timed run (llama-bench -d), evaluated untimed.</summary>
    public IReadOnlyList<int> Depths { get; init; } = [0];

    /// <summary>Timed repetitions of each test (llama-bench -r).</summary>
    public int Repetitions { get; init; } = 3;

    /// <summary>Most tokens per forward pass (llama-bench -ub, n_ubatch).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>CPU kernel strategy; null = the best the machine has (or TESSERA_CPU_ISA).</summary>
    public CpuIsa? Isa { get; init; }

    /// <summary>Seed of the random tokens.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (PromptSizes.Any(p => p < 0) || GenerationLengths.Any(n => n < 0) || Depths.Any(d => d < 0))
            throw new ArgumentException("prompt sizes, generation lengths and depths must not be negative");
        if (!PromptSizes.Any(p => p > 0) && !GenerationLengths.Any(n => n > 0))
            throw new ArgumentException("nothing to measure: give a prompt size or a generation length above 0");
        if (Threads.Any(t => t < 1 || t > 1024))
            throw new ArgumentException("threads must be between 1 and 1024");
        if (Repetitions < 1)
            throw new ArgumentException("repetitions must be at least 1");
        if (BatchSize < 1)
            throw new ArgumentException("the batch size must be at least 1");
        Placement.Validate();
        if (GpuMemory is <= 0)
            throw new ArgumentException("the GPU memory budget must be above zero");
    }
}
