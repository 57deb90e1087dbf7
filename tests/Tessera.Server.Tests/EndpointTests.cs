// The other endpoints: /v1/models through the SDK and raw, /health, /metrics after traffic, and the legacy
// /v1/completions, non-streaming and streamed, with its usage chunk.

using System.Net;
using System.Text.Json;

namespace Tessera.Server.Tests;

public class EndpointTests
{
    private const string Story = "Once upon a time there was a small model that lived in a file and answered every question it was asked.<|return|>";

    [Fact]
    public async Task ModelsListTheLoadedModel()
    {
        await using var server = await ScriptedServer.StartAsync(new() { ModelAlias = "gpt-oss-20b" });
        var cancellationToken = TestContext.Current.CancellationToken;
        var models = (await server.OpenAIClient().GetOpenAIModelClient().GetModelsAsync(cancellationToken)).Value;
        var model = Assert.Single(models);
        Assert.Equal("gpt-oss-20b", model.Id);
        Assert.Equal("tessera", model.OwnedBy);

        var raw = JsonDocument.Parse(await server.Http.GetStringAsync("v1/models", cancellationToken)).RootElement;
        Assert.Equal("list", raw.GetProperty("object").GetString());
        Assert.Equal("model", raw.GetProperty("data")[0].GetProperty("object").GetString());
        Assert.True(raw.GetProperty("data")[0].GetProperty("created").GetInt64() > 1_700_000_000);
        Assert.Equal("gpt-oss-20b", (await server.OpenAIClient().GetOpenAIModelClient().GetModelAsync("gpt-oss-20b", cancellationToken)).Value.Id);
    }

    [Fact]
    public async Task PortInUseIsAnIOException()
    {
        await using var first = await ScriptedServer.StartAsync();
        await using var second = new TesseraServer(first.Model, new TesseraServerOptions { Port = first.Server.BaseAddress.Port });
        await Assert.ThrowsAnyAsync<IOException>(() => second.StartAsync(TestContext.Current.CancellationToken));
        Assert.Throws<InvalidOperationException>(() => second.BaseAddress);
    }

    [Fact]
    public async Task HealthIsOk()
    {
        await using var server = await ScriptedServer.StartAsync();
        using var response = await server.Http.GetAsync("health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task MetricsCountRequestsTokensAndSpeed()
    {
        await using var server = await ScriptedServer.StartAsync(completions: [ChatCompletionsTests.Answer, ChatCompletionsTests.Answer]);
        using (await server.PostAsync("v1/chat/completions", """{"messages":[{"role":"user","content":"Capital?"}]}""")) { }
        using (var streamed = await server.PostAsync("v1/chat/completions", """{"stream":true,"messages":[{"role":"user","content":"Capital?"}]}"""))
            await Sse.ReadAllAsync(streamed);
        using (await server.PostAsync("v1/chat/completions", """{"messages":[]}""")) { }
        using (await server.Http.GetAsync("v1/models", TestContext.Current.CancellationToken)) { }

        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("tessera_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2", text);
        Assert.Contains("tessera_requests_total{endpoint=\"/v1/chat/completions\",status=\"400\"} 1", text);
        Assert.Contains("tessera_requests_total{endpoint=\"/v1/models\",status=\"200\"} 1", text);
        Assert.Equal(2 * ChatCompletionsTests.ScriptedTokens(ChatCompletionsTests.Answer), Metrics.Value(text, "tessera_completion_tokens_total"));
        Assert.True(Metrics.Value(text, "tessera_prompt_tokens_total") > 20);
        Assert.True(Metrics.Value(text, "tessera_last_generation_tokens_per_second") > 0);
        Assert.Equal(2, Metrics.Value(text, "tessera_generation_tokens_per_second_count"));
        Assert.Contains("tessera_generation_tokens_per_second_bucket{le=\"+Inf\"} 2", text);
        Assert.Contains("tessera_request_duration_seconds_bucket{le=\"+Inf\"} 3", text);
        Assert.Equal(0, Metrics.Value(text, "tessera_queue_length"));
        Assert.Equal(16, Metrics.Value(text, "tessera_queue_limit"));
        Assert.Equal(0, Metrics.Value(text, "tessera_requests_in_flight"));
        Assert.True(Metrics.Value(text, "process_resident_memory_bytes") > 1e6);
        Assert.True(Metrics.Value(text, "dotnet_gc_heap_size_bytes") > 0);
        // Every sample line is `name{labels} value`, with HELP and TYPE before each family.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
            Assert.Matches(@"^[a-z_]+(\{[a-z_]+=""[^""]*""(,[a-z_]+=""[^""]*"")*\})? [-+0-9.eE]+(Inf)?$", line);
    }

    [Fact]
    public async Task CompletionsNonStreamingAndStreaming()
    {
        await using var server = await ScriptedServer.StartAsync(new() { ModelAlias = "raw" }, completions: [Story, Story, Story]);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var response = await server.PostAsync("v1/completions", """{"model":"raw","prompt":"Tell me a story.","max_tokens":50}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement;
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.Equal("raw", json.GetProperty("model").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal("Once upon a time there was a small model that lived in a file and answered every question it was asked.", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(ChatCompletionsTests.ScriptedTokens(Story), json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        using var streamed = await server.PostAsync("v1/completions", """{"prompt":["Tell me a story."],"stream":true,"stream_options":{"include_usage":true}}""",
            completion: HttpCompletionOption.ResponseHeadersRead);
        var chunks = await Sse.ReadAllAsync(streamed);
        var pieces = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).ToList();
        // The default max_tokens is 16, as OpenAI's: the story is cut.
        var text = string.Concat(pieces.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.StartsWith("Once upon a time", text);
        Assert.Equal("length", pieces[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(16, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
