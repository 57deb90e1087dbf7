// An optional per-op time profile of the CPU backend (TESSERA_PROFILE=1): wall time and call count per op, mat-muls
// keyed by weight role (blk.N. stripped, so the 24 layers' attn_q add up), printed to stderr when the backend is disposed.
// Off by default; then an op's timer is an empty struct and nothing is recorded.

using System.Diagnostics;
using System.Globalization;

namespace Tessera.Backends.Cpu;

/// <summary>Time per op kind, for finding where a forward pass spends its time.</summary>
internal sealed class CpuProfile
{
    /// <summary>The environment variable that turns profiling on.</summary>
    public const string EnvironmentVariable = "TESSERA_PROFILE";

    private readonly Dictionary<string, (long Ticks, long Calls)> _ops = [];
    private readonly Dictionary<WeightTensor, string> _roles = [];

    /// <summary>A profile if TESSERA_PROFILE=1, else null.</summary>
    public static CpuProfile? FromEnvironment() => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1" ? new CpuProfile() : null;

    /// <summary>The op's label for a weight: its name without the layer prefix.</summary>
    public string Role(string op, WeightTensor weight)
    {
        if (!_roles.TryGetValue(weight, out var role))
        {
            var name = weight.Name;
            if (name.StartsWith("blk.", StringComparison.Ordinal)) name = name[(name.IndexOf('.', 4) + 1)..];
            _roles[weight] = role = $"{op} {name}";
        }
        return role;
    }

    public void Add(string op, long ticks)
    {
        _ops.TryGetValue(op, out var entry);
        _ops[op] = (entry.Ticks + ticks, entry.Calls + 1);
    }

    public void Print(TextWriter writer)
    {
        // Labels in parentheses time parts of other ops and stay out of the total.
        double total = _ops.Where(e => !e.Key.StartsWith('(')).Sum(e => e.Value.Ticks) / (double)Stopwatch.Frequency;
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU backend profile: {total:F3} s in ops"));
        foreach (var (op, (ticks, calls)) in _ops.OrderByDescending(e => e.Value.Ticks))
        {
            double seconds = ticks / (double)Stopwatch.Frequency;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {op,-36} {seconds,9:F3} s {100 * seconds / total,6:F1} % {calls,8} calls {1e6 * seconds / calls,10:F1} µs/call"));
        }
    }

    /// <summary>Times one op until disposed (does nothing when <paramref name="profile"/> is null).</summary>
    public readonly struct Timer(CpuProfile? profile, string op) : IDisposable
    {
        private readonly long _start = profile is null ? 0 : Stopwatch.GetTimestamp();

        public void Dispose() => profile?.Add(op, Stopwatch.GetTimestamp() - _start);
    }
}
