// Whether a batch computes a split block's experts in RAM on the CPU or copies them to the GPU and computes them there,
// decided from what each has cost on this machine. Batches are classed by size (powers of two); the first batches of a
// class try both ways, block by block in turn, timing each (seconds per expert in RAM of the block, both ways including
// the GPU's own experts, which run alongside), and once each way has a few samples the class takes the cheaper. Below 8
// tokens the CPU is taken without trying: copying a block's experts costs milliseconds, a decode step's CPU share less.

using System.Globalization;
using System.Numerics;

namespace Tessera.Backends.Hybrid;

/// <summary>Chooses between the CPU and GPU staging for the experts in RAM of a batch, from measured costs.</summary>
internal sealed class StagingChooser(int minTokens = 8, int samples = 2)
{
    private struct SizeClass
    {
        public double Staged, Cpu;      // seconds per expert in RAM, summed
        public int StagedCount, CpuCount, Tries;
    }

    private readonly SortedDictionary<int, SizeClass> _classes = [];

    /// <summary>For a batch of <paramref name="tokens"/>: whether to stage, and whether to time it (still trying).</summary>
    public (bool Stage, bool Timed) Choose(int tokens)
    {
        if (tokens < minTokens) return (false, false);
        int c = BitOperations.Log2((uint)tokens);
        _classes.TryGetValue(c, out var s);
        if (s.StagedCount >= samples && s.CpuCount >= samples)
            return (s.Staged / s.StagedCount < s.Cpu / s.CpuCount, false);
        bool stage = s.CpuCount >= samples || (s.StagedCount < samples && s.Tries % 2 == 0);
        s.Tries++;
        _classes[c] = s;
        return (stage, true);
    }

    /// <summary>Records what a timed batch cost: seconds per expert in RAM of the block.</summary>
    public void Record(int tokens, bool staged, double secondsPerExpert)
    {
        int c = BitOperations.Log2((uint)Math.Max(tokens, 1));
        _classes.TryGetValue(c, out var s);
        if (staged) { s.Staged += secondsPerExpert; s.StagedCount++; }
        else { s.Cpu += secondsPerExpert; s.CpuCount++; }
        _classes[c] = s;
    }

    /// <summary>What was measured per size class, e.g. <c>256-511 tokens: staged 0.41 ms, CPU 1.20 ms a RAM expert → staged</c>.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var (c, s) in _classes)
        {
            string Mean(double sum, int n) => n == 0 ? "untried" : string.Create(CultureInfo.InvariantCulture, $"{1e3 * sum / n:F2} ms");
            string choice = s.StagedCount >= samples && s.CpuCount >= samples ? (s.Staged / s.StagedCount < s.Cpu / s.CpuCount ? "staged" : "CPU") : "still trying";
            yield return $"{1 << c}-{(2 << c) - 1} tokens: staged {Mean(s.Staged, s.StagedCount)}, CPU {Mean(s.Cpu, s.CpuCount)} a RAM expert → {choice}";
        }
    }
}
