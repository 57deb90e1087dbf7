// TESSERA_CUDA_PROFILE=1: times every op of the CUDA backend with events (recorded steps are switched off so each op is
// its own launch) and prints, when the backend is disposed, a table per op: calls, mean microseconds, bytes each call
// reads (weights, KV cache), the read rate and its share of the GPU's peak memory bandwidth. Decode (one token) and batch
// calls are kept apart. This is how a decode step's time is broken down in docs/cuda-backend.md.
// TESSERA_CUDA_PROFILE=stamps: recorded steps stay on; after every op a one-thread kernel (tsr_stamp) writes the GPU's
// timer once the op's kernels have finished, and the report gives each op's time from the stamp before it to its own, in
// the last replay of the last recorded step: where a replayed step's time goes, programmatic launch included (each stamp
// adds a small kernel of its own to the step). The down product then waits for the gate-up one before it requests its
// weights (a stamp comes between them).

using System.Globalization;
using System.Text;

namespace Tessera.Backends.Cuda;

internal sealed class CudaProfiler(CudaContext context) : IDisposable
{
    private const int MaxEvents = 400_000;
    private readonly List<(string Op, long Bytes, CudaEvent Start, CudaEvent End)> _marks = [];
    private readonly Dictionary<string, (int Calls, double Ms, double Bytes)> _totals = [];

    private const int MaxStamps = 1 << 20;
    private readonly List<(string Op, long Bytes, Func<long>? LateBytes, bool Recorded)> _stamps = [];
    private ulong _stampBuffer;

    public static bool Enabled => Environment.GetEnvironmentVariable("TESSERA_CUDA_PROFILE") is "1" or "stamps";

    /// <summary>Stamps instead of events: recorded steps stay on.</summary>
    public static bool Stamps => Environment.GetEnvironmentVariable("TESSERA_CUDA_PROFILE") is "stamps";

    /// <summary>Times an op until the scope ends. <paramref name="lateBytes"/>, when given, says what the op reads when its
    /// recording is replayed (an attention reads as many keys as the cache then holds); stamps ask it at report time.</summary>
    public Scope Begin(CudaStream stream, string op, long bytes, Func<long>? lateBytes = null)
    {
        if (Stamps) return new Scope(this, stream, op, bytes, null, lateBytes);
        if (_marks.Count >= MaxEvents) Drain(stream);
        var start = new CudaEvent();
        stream.Record(start);
        return new Scope(this, stream, op, bytes, start, null);
    }

    private void End(CudaStream stream, string op, long bytes, CudaEvent? start, Func<long>? lateBytes)
    {
        if (start is null)
        {
            Stamp(stream, op, bytes, lateBytes);
            return;
        }
        var end = new CudaEvent();
        stream.Record(end);
        _marks.Add((op, bytes, start, end));
    }

    // Folds the recorded events into the totals (waits for the GPU).
    public void Drain(CudaStream stream)
    {
        stream.Synchronize();
        foreach (var (op, bytes, start, end) in _marks)
        {
            double ms = end.MillisecondsSince(start);
            var t = _totals.GetValueOrDefault(op);
            _totals[op] = (t.Calls + 1, t.Ms + ms, t.Bytes + bytes);
            start.Dispose();
            end.Dispose();
        }
        _marks.Clear();
    }

    private void Stamp(CudaStream stream, string op, long bytes, Func<long>? lateBytes)
    {
        if (_stamps.Count >= MaxStamps) return;
        if (_stampBuffer == 0) _stampBuffer = context.Allocate(MaxStamps * 8L, "profiler stamps");
        stream.Launch(context.Function("elementwise", "tsr_stamp"), 1, 32, 0, [KernelArg.Ptr(_stampBuffer), KernelArg.I32(_stamps.Count)]);
        _stamps.Add((op, bytes, lateBytes, stream.IsCapturing));
    }

    // The stamps of the last recorded step (its last replay): per op, the time from the stamp before it to its own.
    private unsafe string StampReport(CudaStream stream, double peakBytesPerSecond)
    {
        stream.Synchronize();
        int end = _stamps.FindLastIndex(s => s.Recorded);
        if (end < 0) return "CUDA op stamps: no recorded step.\n";
        int start = end;
        while (start > 0 && _stamps[start - 1].Recorded) start--;
        var t = new ulong[end + 1];
        fixed (ulong* p = t) stream.CopyToHost(p, _stampBuffer, (end + 1) * 8L);
        stream.Synchronize();
        var totals = new Dictionary<string, (int Calls, double Us, double Bytes)>();
        for (int i = start + 1; i <= end; i++)
        {
            var (op, recorded, late, _) = _stamps[i];
            long bytes = late?.Invoke() ?? recorded;   // what the last replay read
            var v = totals.GetValueOrDefault(op);
            totals[op] = (v.Calls + 1, v.Us + (t[i] - t[i - 1]) / 1e3, v.Bytes + bytes);
        }
        double all = (t[end] - t[start]) / 1e3;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"CUDA op stamps ({context.Device.Name}), last recorded step: {end - start} ops after the first, {all:F1} µs (stamps included):");
        sb.AppendLine("| op | calls | µs per call | MB per call | GB/s | % of peak | share of time |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (op, (calls, us, bytes)) in totals.OrderByDescending(kv => kv.Value.Us))
        {
            double rate = us > 0 ? bytes / (us / 1e6) : 0;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {op} | {calls} | {us / calls:F1} | {bytes / calls / 1e6:F2} | {rate / 1e9:F0} | {100 * rate / peakBytesPerSecond:F0}% | {100 * us / all:F1}% |");
        }
        return sb.ToString();
    }

    public string Report(CudaStream stream, double peakBytesPerSecond)
    {
        if (Stamps) return StampReport(stream, peakBytesPerSecond);
        Drain(stream);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"CUDA op profile ({context.Device.Name}, peak memory bandwidth {peakBytesPerSecond / 1e12:F2} TB/s):");
        sb.AppendLine("| op | calls | µs per call | MB per call | GB/s | % of peak | share of time |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        double all = _totals.Values.Sum(t => t.Ms);
        foreach (var (op, (calls, ms, bytes)) in _totals.OrderByDescending(kv => kv.Value.Ms))
        {
            double us = ms * 1000 / calls, mb = bytes / calls / 1e6, rate = ms > 0 ? bytes / (ms / 1000) : 0;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {op} | {calls} | {us:F1} | {mb:F2} | {rate / 1e9:F0} | {100 * rate / peakBytesPerSecond:F0}% | {100 * ms / all:F1}% |");
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        foreach (var (_, _, s, e) in _marks) { s.Dispose(); e.Dispose(); }
        _marks.Clear();
        if (_stampBuffer != 0) context.Free(_stampBuffer, MaxStamps * 8L);
        _stampBuffer = 0;
    }

    public readonly struct Scope(CudaProfiler? profiler, CudaStream? stream, string? op, long bytes, CudaEvent? start, Func<long>? lateBytes)
        : IDisposable
    {
        public void Dispose()
        {
            if (profiler is not null) profiler.End(stream!, op!, bytes, start, lateBytes);
        }
    }
}
