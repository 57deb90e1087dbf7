// Twenty clients at once against a queue limit of four: the model serves one request at a time, four wait, the rest
// are turned away at once with OpenAI's 429; every request that was served got a whole, uninterleaved answer.

using System.Net;
using System.Text.Json;

namespace Tessera.Server.Tests;

public class ConcurrencyTests
{
    private const string Reply = "<|channel|>final<|message|>one two three four five six seven eight nine ten<|return|>";

    [Fact]
    public async Task BeyondTheQueueLimitIs429()
    {
        const int Clients = 20, QueueLimit = 4;
        await using var server = await ScriptedServer.StartAsync(new() { QueueLimit = QueueLimit }, completions: Enumerable.Repeat(Reply, Clients).ToArray());
        server.Predictor.OnEvaluate = () => Thread.Sleep(15);   // a request takes ~200 ms: long enough for all to arrive
        var start = new TaskCompletionSource();
        var requests = Enumerable.Range(0, Clients).Select(async i =>
        {
            await start.Task;
            var streaming = i % 2 == 0;
            using var response = await server.PostAsync("v1/chat/completions",
                $$$"""{"stream":{{{(streaming ? "true" : "false")}}},"messages":[{"role":"user","content":"Count to ten, client {{{i}}}."}]}""",
                completion: HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var error = await ErrorAssert.IsOpenAIErrorAsync(response, HttpStatusCode.TooManyRequests, type: "requests");
                Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
                return (Status: 429, Text: "");
            }
            var text = streaming
                ? Sse.Delta(await Sse.ReadAllAsync(response), "content")
                : JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement
                    .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
            return (Status: 200, Text: text);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(requests);

        var served = results.Where(r => r.Status == 200).ToList();
        Assert.True(served.Count >= QueueLimit + 1, $"only {served.Count} served");
        Assert.True(served.Count < Clients, "nobody was turned away");
        Assert.All(served, r => Assert.Equal("one two three four five six seven eight nine ten", r.Text));

        var metrics = await Metrics.GetAsync(server);
        Assert.Contains($"tessera_requests_total{{endpoint=\"/v1/chat/completions\",status=\"429\"}} {Clients - served.Count}", metrics);
        Assert.Contains($"tessera_requests_total{{endpoint=\"/v1/chat/completions\",status=\"200\"}} {served.Count}", metrics);
        Assert.Equal(0, Metrics.Value(metrics, "tessera_queue_length"));
        Assert.Equal(0, Metrics.Value(metrics, "tessera_requests_in_flight"));
    }
}
