// TESSERA_CUDA_PROFILE=1: times every op of the CUDA backend with events (recorded steps are switched off so each op is
// its own launch) and prints, when the backend is disposed, a table per op: calls, mean microseconds, bytes each call
// reads (weights, KV cache), the read rate and its share of the GPU's peak memory bandwidth. Decode (one token) and batch
// calls are kept apart. This is how a decode step's time is broken down in docs/cuda-backend.md.

using System.Globalization;
using System.Text;

namespace Tessera.Backends.Cuda;

internal sealed class CudaProfiler(CudaContext context) : IDisposable
{
    private const int MaxEvents = 400_000;
    private readonly List<(string Op, long Bytes, CudaEvent Start, CudaEvent End)> _marks = [];
    private readonly Dictionary<string, (int Calls, double Ms, double Bytes)> _totals = [];

    public static bool Enabled => Environment.GetEnvironmentVariable("TESSERA_CUDA_PROFILE") is "1";

    public Scope Begin(CudaStream stream, string op, long bytes)
    {
        if (_marks.Count >= MaxEvents) Drain(stream);
        var start = new CudaEvent();
        stream.Record(start);
        return new Scope(this, stream, op, bytes, start);
    }

    private void End(CudaStream stream, string op, long bytes, CudaEvent start)
    {
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

    public string Report(CudaStream stream, double peakBytesPerSecond)
    {
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
    }

    public readonly struct Scope(CudaProfiler? profiler, CudaStream? stream, string? op, long bytes, CudaEvent? start) : IDisposable
    {
        public void Dispose()
        {
            if (profiler is not null) profiler.End(stream!, op!, bytes, start!);
        }
    }
}
