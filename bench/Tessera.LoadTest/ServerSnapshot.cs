// The server's own view, read from its Prometheus /metrics: memory (working set, GC heap) and token counters, so the
// load test can report the server process's memory before and after without running inside it.

using System.Globalization;
using System.Net.Http.Headers;

namespace Tessera.LoadTest;

/// <summary>A few samples of /metrics at one moment.</summary>
internal sealed record ServerSnapshot(double WorkingSetBytes, double GcHeapBytes, double CompletionTokens, double LastTokensPerSecond, double AllocatedBytes)
{
    public static async Task<ServerSnapshot> ReadAsync(HttpClient http, string? apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var samples = (await response.Content.ReadAsStringAsync()).Split('\n')
            .Where(l => l.Length > 0 && l[0] != '#' && !l.Contains('{'))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        double Get(string name) => samples.GetValueOrDefault(name, double.NaN);
        return new ServerSnapshot(Get("process_resident_memory_bytes"), Get("dotnet_gc_heap_size_bytes"), Get("tessera_completion_tokens_total"),
            Get("tessera_last_generation_tokens_per_second"), Get("dotnet_gc_allocated_bytes_total"));
    }
}
