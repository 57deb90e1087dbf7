// Command line of the load test: which server, how many clients, for how long, how much each request asks for.

using System.Globalization;
using System.Net;

namespace Tessera.LoadTest;

/// <summary>What to run. Only loopback servers are accepted: this tool floods its target.</summary>
internal sealed record LoadTestOptions(Uri Url, int Clients, TimeSpan Duration, int MaxTokens, string? ApiKey)
{
    public const string Usage = "usage: Tessera.LoadTest --url http://127.0.0.1:8080 [--clients 20] [--duration 120] [--max-tokens 32] [--api-key KEY]";

    public static LoadTestOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) throw new ArgumentException(Usage);
            values[args[i]] = args[++i];
        }
        string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        int Int(string name, int fallback, int min, int max)
        {
            var n = int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            return n >= min && n <= max ? n : throw new ArgumentException($"{name} must be between {min} and {max}");
        }
        var url = new Uri(Get("--url", "http://127.0.0.1:8080"));
        var loopback = url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback) throw new ArgumentException($"refusing {url}: the load test only targets loopback addresses (127.0.0.1, ::1, localhost)");
        return new LoadTestOptions(url, Int("--clients", 20, 1, 200), TimeSpan.FromSeconds(Int("--duration", 120, 1, 3600)),
            Int("--max-tokens", 32, 1, 4096), values.GetValueOrDefault("--api-key"));
    }
}
