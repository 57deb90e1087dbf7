// A client that goes away mid-stream stops its generation: the scripted forward pass stops being called within a few
// tokens, the model is free again, and /metrics counts the request as 499. Two kinds of client: the official SDK
// cancelling its token, and a raw client that closes the connection. Both use an HttpClient that drops a half-read
// response: by default HttpClient reads on (up to 1 MB or 2 s) to keep the connection, and the server, seeing a
// client that still reads, keeps generating for that long.

using OpenAI.Chat;

namespace Tessera.Server.Tests;

public class CancellationTests
{
    private const int Words = 400;
    private static readonly string Talk = "<|channel|>final<|message|>" + string.Concat(Enumerable.Repeat("word ", Words)) + "<|return|>";

    [Fact]
    public async Task SdkCancellationStopsGeneration()
    {
        await using var server = await StartSlowAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var seen = 0;
        using var http = NoDrainClient();
        var client = server.OpenAIChatClient(http: http);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Talk.")], cancellationToken: stop.Token))
                if (update.ContentUpdate.Count > 0 && ++seen == 5) stop.Cancel();
        });
        await AssertStoppedAsync(server, "/v1/chat/completions");
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"stream":true,"messages":[{"role":"user","content":"Talk."}]}""")]
    [InlineData("v1/completions", """{"stream":true,"prompt":"Talk.","max_tokens":1000}""")]
    public async Task ClosedConnectionStopsGeneration(string path, string body)
    {
        await using var server = await StartSlowAsync();
        using var http = NoDrainClient();
        http.BaseAddress = server.Server.BaseAddress;
        using (var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) },
            HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            var seen = 0;
            await foreach (var chunk in Sse.ReadAsync(response, TestContext.Current.CancellationToken))
                if (chunk?.GetProperty("choices")[0].ToString().Contains("word") == true && ++seen == 5) break;
        }
        await AssertStoppedAsync(server, "/" + path);
    }

    private static HttpClient NoDrainClient() => new(new SocketsHttpHandler { MaxResponseDrainSize = 0 });

    private static async Task<ScriptedServer> StartSlowAsync()
    {
        var server = await ScriptedServer.StartAsync(completions: Talk);
        server.Predictor.OnEvaluate = () => Thread.Sleep(5);   // the whole script would take seconds
        return server;
    }

    private static async Task AssertStoppedAsync(ScriptedServer server, string route)
    {
        await Metrics.WaitUntilAsync(server, text => Metrics.Value(text, "tessera_requests_in_flight") == 0);
        var evaluations = server.Predictor.Evaluations;
        Assert.True(evaluations < Words / 4, $"generation went on after the client left: {evaluations} evaluations");
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(evaluations, server.Predictor.Evaluations);
        await Metrics.WaitUntilAsync(server, text => text.Contains($"tessera_requests_total{{endpoint=\"{route}\",status=\"499\"}} 1"));
    }
}
