// Reading the server's Prometheus text in tests.

using System.Globalization;

namespace Tessera.Server.Tests;

internal static class Metrics
{
    public static async Task<string> GetAsync(ScriptedServer server, string apiKey = ScriptedServer.ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Authorization = new("Bearer", apiKey);
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The value of an unlabelled sample.</summary>
    public static double Value(string text, string name) => double.Parse(
        text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);

    /// <summary>Polls /metrics until <paramref name="condition"/> holds (at most 5 s); returns the text that satisfied it.</summary>
    public static async Task<string> WaitUntilAsync(ScriptedServer server, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var text = await GetAsync(server);
            if (condition(text)) return text;
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s; metrics:\n" + text);
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
