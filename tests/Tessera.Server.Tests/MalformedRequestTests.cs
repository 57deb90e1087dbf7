// Every invalid request gets a 4xx with OpenAI's error body, never a 500: broken JSON, wrong field types, unknown
// roles, out-of-range sampling values, unsupported options, messages the harmony renderer refuses.

using System.Net;
using System.Text.Json;

namespace Tessera.Server.Tests;

public class MalformedRequestTests(MalformedRequestTests.ServerFixture fixture) : IClassFixture<MalformedRequestTests.ServerFixture>
{
    /// <summary>One server for the whole table: none of these requests generates anything.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        internal ScriptedServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Server = await ScriptedServer.StartAsync();

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    private const string User = """{"role":"user","content":"Hi"}""";
    private const string Tool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}}}}""";

    public static TheoryData<string, string?> ChatCases => new()
    {
        // body, param named in the error (null: the whole body)
        { "{", null },
        { "", null },
        { "null", null },
        { "[]", null },
        { "\"hello\"", null },
        { """{"messages":"hi"}""", "messages" },
        { """{"messages":[]}""", "messages" },
        { """{"model":"gpt-oss"}""", "messages" },
        { """{"messages":[null]}""", "messages[0]" },
        { """{"messages":[42]}""", "messages[0]" },
        { """{"messages":[{"role":"wizard","content":"x"}]}""", "messages[0]" },
        { """{"messages":[{"content":"x"}]}""", "messages[0]" },
        { """{"messages":[{"role":"user","content":42}]}""", "messages[0]" },
        { """{"messages":[{"role":"user","content":{"text":"x"}}]}""", "messages[0]" },
        { """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]}""", "messages[0]" },
        { """{"messages":[{"role":"assistant","tool_calls":"call"},{"role":"user","content":"x"}]}""", "messages[0]" },
        { """{"messages":[{"role":"assistant","content":"<|channel|>final<|message|>hi"},{"role":"user","content":"x"}]}""", "messages" },
        { """{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c1","content":"sunny"}]}""", "messages" },
        { $$$"""{"messages":[{{{User}}}],"max_tokens":-1}""", "max_tokens" },
        { $$$"""{"messages":[{{{User}}}],"max_completion_tokens":-5}""", "max_completion_tokens" },
        { $$$"""{"messages":[{{{User}}}],"max_tokens":"ten"}""", "max_tokens" },
        { $$$"""{"messages":[{{{User}}}],"max_tokens":1.5}""", "max_tokens" },
        { $$$"""{"messages":[{{{User}}}],"max_tokens":99999999999}""", "max_tokens" },
        { $$$"""{"messages":[{{{User}}}],"temperature":2.5}""", "temperature" },
        { $$$"""{"messages":[{{{User}}}],"temperature":-0.1}""", "temperature" },
        { $$$"""{"messages":[{{{User}}}],"temperature":"hot"}""", "temperature" },
        { $$$"""{"messages":[{{{User}}}],"top_p":0}""", "top_p" },
        { $$$"""{"messages":[{{{User}}}],"top_p":1.5}""", "top_p" },
        { $$$"""{"messages":[{{{User}}}],"top_k":-1}""", "top_k" },
        { $$$"""{"messages":[{{{User}}}],"min_p":2}""", "min_p" },
        { $$$"""{"messages":[{{{User}}}],"presence_penalty":3}""", "presence_penalty" },
        { $$$"""{"messages":[{{{User}}}],"frequency_penalty":-3}""", "frequency_penalty" },
        { $$$"""{"messages":[{{{User}}}],"repeat_penalty":0}""", "repeat_penalty" },
        { $$$"""{"messages":[{{{User}}}],"seed":"lucky"}""", "seed" },
        { $$$"""{"messages":[{{{User}}}],"n":2}""", "n" },
        { $$$"""{"messages":[{{{User}}}],"n":0}""", "n" },
        { $$$"""{"messages":[{{{User}}}],"stop":5}""", "stop" },
        { $$$"""{"messages":[{{{User}}}],"stop":["a",1]}""", "stop" },
        { $$$"""{"messages":[{{{User}}}],"logit_bias":{"abc":1}}""", "logit_bias" },
        { $$$"""{"messages":[{{{User}}}],"logit_bias":{"5":500}}""", "logit_bias" },
        { $$$"""{"messages":[{{{User}}}],"logit_bias":{"99999999":1}}""", "logit_bias" },
        { $$$"""{"messages":[{{{User}}}],"logit_bias":{"-3":1}}""", "logit_bias" },
        { $$$"""{"messages":[{{{User}}}],"logit_bias":[1,2]}""", "logit_bias" },
        { $$$"""{"messages":[{{{User}}}],"stream":"yes"}""", "stream" },
        { $$$"""{"messages":[{{{User}}}],"stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage" },
        { $$$"""{"messages":[{{{User}}}],"tools":{}}""", "tools" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{"type":"function"}]}""", "tools[0].function" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{"type":"custom","custom":{"name":"x"}}]}""", "tools[0].type" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{"type":"function","function":{"name":"f","parameters":"none"}}]}""", "tools[0].function.parameters" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{{{Tool}}}],"tool_choice":"sometimes"}""", "tool_choice" },
        { $$$"""{"messages":[{{{User}}}],"tool_choice":"required"}""", "tool_choice" },
        { $$$$"""{"messages":[{{{{User}}}}],"tools":[{{{{Tool}}}}],"tool_choice":{"type":"function","function":{"name":"nope"}}}""", "tool_choice" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{{{Tool}}}],"tool_choice":{"type":"function"}}""", "tool_choice" },
        { $$$"""{"messages":[{{{User}}}],"tools":[{{{Tool}}}],"tool_choice":7}""", "tool_choice" },
        { $$$"""{"messages":[{{{User}}}],"reasoning_effort":"extreme"}""", "reasoning_effort" },
        { $$$"""{"messages":[{{{User}}}],"reasoning_effort":3}""", "reasoning_effort" },
        { $$$"""{"messages":[{{{User}}}],"response_format":{"type":"xml"}}""", "response_format.type" },
        { $$$"""{"messages":[{{{User}}}],"response_format":{"type":"json_schema"}}""", "response_format.json_schema" },
        { $$$$"""{"messages":[{{{{User}}}}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":[1]}}}""", "response_format.json_schema.schema" },
        { $$$"""{"messages":[{{{User}}}],"response_format":"json"}""", "response_format" },
    };

    public static TheoryData<string, string?> CompletionCases => new()
    {
        { "{", null },
        { """{"max_tokens":5}""", "prompt" },
        { """{"prompt":5}""", "prompt" },
        { """{"prompt":""}""", "prompt" },
        { """{"prompt":[1,2,3]}""", "prompt" },
        { """{"prompt":["a","b"]}""", "prompt" },
        { """{"prompt":"x","max_tokens":-1}""", "max_tokens" },
        { """{"prompt":"x","temperature":9}""", "temperature" },
        { """{"prompt":"x","n":3}""", "n" },
        { """{"prompt":"x","stop":{}}""", "stop" },
    };

    [Theory]
    [MemberData(nameof(ChatCases))]
    public async Task ChatCompletions(string body, string? param)
    {
        foreach (var streaming in new[] { false, true })
        {
            // The same body asked for as a stream must fail the same way, before any event.
            var asked = streaming && body.StartsWith("{\"messages\"", StringComparison.Ordinal) ? "{\"stream\":true," + body[1..] : body;
            using var response = await fixture.Server.PostAsync("v1/chat/completions", asked);
            var error = await ErrorAssert.IsOpenAIErrorAsync(response, HttpStatusCode.BadRequest);
            var got = error.GetProperty("param");
            Assert.Equal(param, got.ValueKind == JsonValueKind.Null ? null : got.GetString());
            InUserWords(error.GetProperty("message").GetString()!);
        }
    }

    // An error says what the request got wrong in the request's terms: no .NET type names, no serializer internals.
    private static void InUserWords(string message)
    {
        foreach (var internals in new[] { "System.", "`1", "LineNumber", "BytePositionInLine", "Path: $", "Tessera." })
            Assert.False(message.Contains(internals, StringComparison.Ordinal), $"\"{message}\" shows {internals}");
    }

    [Theory]
    [InlineData("""{"messages":"hi"}""", "messages must be an array of messages")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":"ten"}""", "max_tokens must be a whole number (within range)")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":99999999999}""", "max_tokens must be a whole number (within range)")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}""", "temperature must be a number")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"stream":"yes"}""", "stream must be true or false")]
    [InlineData("{", "the request body is not valid JSON")]
    [InlineData("not json", "the request body is not valid JSON (line 1, character ")]
    public async Task WrongTypesAreNamedAsTheRequestNamesThem(string body, string expected)
    {
        using var response = await fixture.Server.PostAsync("v1/chat/completions", body);
        var error = await ErrorAssert.IsOpenAIErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(expected, error.GetProperty("message").GetString());
    }

    [Theory]
    [MemberData(nameof(CompletionCases))]
    public async Task Completions(string body, string? param)
    {
        using var response = await fixture.Server.PostAsync("v1/completions", body);
        var error = await ErrorAssert.IsOpenAIErrorAsync(response, HttpStatusCode.BadRequest);
        var got = error.GetProperty("param");
        Assert.Equal(param, got.ValueKind == JsonValueKind.Null ? null : got.GetString());
    }

    [Theory]
    [InlineData("GET", "v1/chat/completions")]
    [InlineData("GET", "v1/nothing-here")]
    [InlineData("POST", "v1/models")]
    [InlineData("GET", "v1/models/some-other-model")]
    [InlineData("DELETE", "health")]
    public async Task WrongPathsAndMethods(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await fixture.Server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode is 404 or 405, $"{method} {path}: {(int)response.StatusCode}");
        await ErrorAssert.IsOpenAIErrorAsync(response, response.StatusCode);
    }

    [Fact]
    public async Task NothingWasGenerated() =>
        Assert.DoesNotContain("status=\"500\"", await Metrics.GetAsync(fixture.Server));
}
