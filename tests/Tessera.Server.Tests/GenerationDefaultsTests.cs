// The server's defaults for requests that leave generation fields out (`tessera serve -n 3 --temp 0.2 ...`): applied to
// chat and text completions over HTTP, overridden by any field a request sets (a negative seed still means random).

using System.Text.Json;
using Tessera.Chat.Harmony;
using Tessera.Inference;
using Tessera.Server.Protocol;

namespace Tessera.Server.Tests;

public class GenerationDefaultsTests
{
    private static readonly GenerationDefaults Defaults = new()
    {
        MaxTokens = 3,
        Sampling = new SamplingOptions { Temperature = 0.2f, TopP = 0.9f, TopK = 40, MinP = 0.05f, Seed = 7 },
        ReasoningEffort = ReasoningEffort.High,
    };

    private static ChatCompletionRequest Chat(string json) => JsonSerializer.Deserialize(json, ServerJsonContext.Relaxed.ChatCompletionRequest)!;

    [Fact]
    public void ARequestWithoutTheFieldsGetsTheDefaults()
    {
        var options = Chat("""{"messages":[{"role":"user","content":"Hi"}]}""").ToOptions(1000, Defaults);
        Assert.Equal(3, options.MaxTokens);
        Assert.Equal(Defaults.Sampling, options.Sampling with { LogitBias = Defaults.Sampling.LogitBias });
        Assert.Equal(ReasoningEffort.High, options.ReasoningEffort);
    }

    [Fact]
    public void FieldsTheRequestSetsWin()
    {
        var options = Chat("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":9,"temperature":1.5,"top_p":1,"top_k":0,"seed":-1,"reasoning_effort":"low"}""")
            .ToOptions(1000, Defaults);
        Assert.Equal(9, options.MaxTokens);
        Assert.Equal(1.5f, options.Sampling.Temperature);
        Assert.Equal(1f, options.Sampling.TopP);
        Assert.Equal(0, options.Sampling.TopK);
        Assert.Equal(0.05f, options.Sampling.MinP);    // not set: the default
        Assert.Null(options.Sampling.Seed);             // -1: a random seed, whatever the default
        Assert.Equal(ReasoningEffort.Low, options.ReasoningEffort);
    }

    [Fact]
    public async Task TheServerAppliesThemToChatAndTextCompletions()
    {
        await using var server = await ScriptedServer.StartAsync(new() { Defaults = Defaults }, completions: [ChatCompletionsTests.Answer, ChatCompletionsTests.Answer, ChatCompletionsTests.Answer]);
        foreach (var (path, body, expected) in new[]
        {
            ("v1/chat/completions", """{"messages":[{"role":"user","content":"Capital?"}]}""", 3),
            ("v1/chat/completions", """{"messages":[{"role":"user","content":"Capital?"}],"max_tokens":5}""", 5),
            ("v1/completions", """{"prompt":"Tell me"}""", 3),
        })
        {
            using var response = await server.PostAsync(path, body);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal(expected, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        }
    }

    [Fact]
    public void ImpossibleDefaultsAreRefusedBeforeTheServerStarts()
    {
        var e = Assert.Throws<ArgumentException>(() => new TesseraServerOptions { Defaults = new() { MaxTokens = -2 } }.Validate());
        Assert.Contains("default token limit must not be negative", e.Message);
    }
}
