// Load test of a running `tessera serve`: N concurrent streaming chat clients for a fixed time against a loopback
// address; reports latency percentiles (first token, total), outcomes by status, and the server's memory before and
// after (from /metrics). Bounded: no request starts after the deadline, each has a timeout, only loopback is targeted.

using System.Diagnostics;
using System.Globalization;
using Tessera.LoadTest;

LoadTestOptions options;
try { options = LoadTestOptions.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(5) };
var before = await ServerSnapshot.ReadAsync(http, options.ApiKey);
Console.WriteLine($"load test: {options.Clients} streaming clients for {options.Duration.TotalSeconds:F0} s against {options.Url} (max_tokens {options.MaxTokens})");

var results = new System.Collections.Concurrent.ConcurrentBag<RequestResult>();
var clock = Stopwatch.StartNew();
var clients = Enumerable.Range(0, options.Clients).Select(async client =>
{
    for (var n = 0; clock.Elapsed < options.Duration; n++)
    {
        var result = await StreamingClient.ChatAsync(http, options, $"Client {client}, request {n}: tell me something.", CancellationToken.None);
        results.Add(result);
        // Turned away: wait a little rather than hammer the queue (as OpenAI's SDKs back off on 429).
        if (result.Status == 429) await Task.Delay(100);
    }
}).ToArray();
await Task.WhenAll(clients);
var elapsed = clock.Elapsed;
var after = await ServerSnapshot.ReadAsync(http, options.ApiKey);

var all = results.ToList();
var ok = all.Where(r => r.Status == 200 && r.Error is null).ToList();
string Ms(double v) => v.ToString("F0", CultureInfo.InvariantCulture);
string Percentiles(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    if (sorted.Length == 0) return "n/a";
    double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    return $"p50 {Ms(At(0.50))} ms, p90 {Ms(At(0.90))} ms, p99 {Ms(At(0.99))} ms, max {Ms(sorted[^1])} ms";
}
string MiB(double bytes) => (bytes / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

Console.WriteLine($"ran {elapsed.TotalSeconds:F1} s: {all.Count} requests, {ok.Count} served ({ok.Count / elapsed.TotalSeconds:F2}/s), " +
    $"{ok.Sum(r => r.CompletionTokens)} tokens generated ({ok.Sum(r => r.CompletionTokens) / elapsed.TotalSeconds:F1} tokens/s)");
Console.WriteLine("outcomes: " + string.Join(", ", all.GroupBy(r => r.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} × {g.Count()}")));
Console.WriteLine($"time to first token (served): {Percentiles(ok.Where(r => r.FirstTokenMs > 0).Select(r => r.FirstTokenMs))}");
Console.WriteLine($"total time (served):          {Percentiles(ok.Select(r => r.TotalMs))}");
Console.WriteLine($"time to 429 (turned away):    {Percentiles(all.Where(r => r.Status == 429).Select(r => r.TotalMs))}");
Console.WriteLine($"server working set: {MiB(before.WorkingSetBytes)} before, {MiB(after.WorkingSetBytes)} after");
Console.WriteLine($"server GC heap:     {MiB(before.GcHeapBytes)} before, {MiB(after.GcHeapBytes)} after; allocated during the run {MiB(after.AllocatedBytes - before.AllocatedBytes)}");
Console.WriteLine($"server: {after.CompletionTokens - before.CompletionTokens:F0} completion tokens counted, last request {after.LastTokensPerSecond:F1} tokens/s");
return all.Any(r => r.Error is not null || r.Status is not (200 or 429)) ? 1 : 0;
