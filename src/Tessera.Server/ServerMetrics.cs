// What `GET /metrics` reports, in Prometheus text format: requests by endpoint and status, tokens read and written,
// generation speed (the last request's and a histogram), request duration, the queue, and the process's memory
// (so a load test can watch the server from outside).

using System.Collections.Concurrent;
using System.Text;

namespace Tessera.Server;

/// <summary>Counters of one server; thread-safe.</summary>
internal sealed class ServerMetrics(RequestQueue queue)
{
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly Histogram _tokensPerSecond = new("tessera_generation_tokens_per_second",
        "Generation speed of finished requests (eval tokens per second).", 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000);
    private readonly Histogram _duration = new("tessera_request_duration_seconds",
        "Time from arrival to the last byte of generation requests, queueing included.", 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
    private long _promptTokens;
    private long _cachedPromptTokens;
    private long _completionTokens;
    private double _lastTokensPerSecond;
    private double _lastPromptTokensPerSecond;

    public void CountRequest(string endpoint, int status, double seconds, bool generation)
    {
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
        if (generation) _duration.Observe(seconds);
    }

    public void CountGeneration(CompletionUsage usage, PerformanceCounters timings)
    {
        Interlocked.Add(ref _promptTokens, usage.PromptTokens);
        Interlocked.Add(ref _cachedPromptTokens, usage.PromptTokensDetails?.CachedTokens ?? 0);
        Interlocked.Add(ref _completionTokens, usage.CompletionTokens);
        Volatile.Write(ref _lastPromptTokensPerSecond, timings.PromptTokensPerSecond);
        if (timings.EvalRuns == 0) return;   // nothing generated after the first token: no speed to speak of
        Volatile.Write(ref _lastTokensPerSecond, timings.EvalTokensPerSecond);
        _tokensPerSecond.Observe(timings.EvalTokensPerSecond);
    }

    public string ToPrometheusText()
    {
        var sb = new StringBuilder();
        Header(sb, "tessera_requests_total", "counter", "HTTP requests answered, by endpoint and status (499: the client went away).");
        foreach (var ((endpoint, status), n) in _requests.OrderBy(kv => kv.Key.Endpoint, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            sb.Append("tessera_requests_total{endpoint=\"").Append(endpoint).Append("\",status=\"").Append(status).Append("\"} ").Append(n).Append('\n');
        Single(sb, "tessera_prompt_tokens_total", "counter", "Prompt tokens of finished requests.", Interlocked.Read(ref _promptTokens));
        Single(sb, "tessera_prompt_tokens_cached_total", "counter", "Prompt tokens of finished requests taken from the cache rather than evaluated.", Interlocked.Read(ref _cachedPromptTokens));
        Single(sb, "tessera_completion_tokens_total", "counter", "Generated tokens of finished requests.", Interlocked.Read(ref _completionTokens));
        Single(sb, "tessera_last_generation_tokens_per_second", "gauge", "Generation speed of the last finished request.", Volatile.Read(ref _lastTokensPerSecond));
        Single(sb, "tessera_last_prompt_tokens_per_second", "gauge", "Prompt evaluation speed of the last finished request.", Volatile.Read(ref _lastPromptTokensPerSecond));
        _tokensPerSecond.WriteTo(sb);
        _duration.WriteTo(sb);
        Single(sb, "tessera_queue_length", "gauge", "Requests waiting for the model.", queue.Waiting);
        Single(sb, "tessera_queue_limit", "gauge", "Waiting requests beyond which new ones get 429.", queue.QueueLimit);
        Single(sb, "tessera_requests_in_flight", "gauge", "Requests the model is working on.", queue.InFlight);
        Single(sb, "process_resident_memory_bytes", "gauge", "Working set of the server process.", Environment.WorkingSet);
        Single(sb, "dotnet_gc_heap_size_bytes", "gauge", "Managed heap size after the last garbage collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        Single(sb, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since the process started.", GC.GetTotalAllocatedBytes());
        Single(sb, "process_cpu_seconds_total", "counter", "CPU time of the server process.", Environment.CpuUsage.TotalTime.TotalSeconds);
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Single(StringBuilder sb, string name, string type, string help, double value)
    {
        Header(sb, name, type, help);
        sb.Append(name).Append(' ').Append(Histogram.Number(value)).Append('\n');
    }
}
