// Tool calls over HTTP: Microsoft.Extensions.AI's function invocation (over the official SDK) runs a whole round trip
// against the server, non-streaming and streaming; raw HTTP checks the OpenAI shape and tool_choice naming a function.

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Tessera.Server.Tests;

public class ToolCallTests
{
    private const string CallWeather = "<|channel|>analysis<|message|>Call the weather tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";
    private const string Final = "<|channel|>analysis<|message|>The tool said sunny.<|end|><|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>";
    private const string Tools = """[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}]""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FunctionInvocationRoundTrip(bool streaming)
    {
        await using var server = await ScriptedServer.StartAsync(completions: [CallWeather, Final]);
        var calls = new List<string>();
        var tool = AIFunctionFactory.Create((string city) => { calls.Add(city); return new { city, sky = "sunny", celsius = 21 }; }, "get_weather", "Current weather in a city");
        using var client = new ChatClientBuilder(server.ExtensionsChatClient()).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [tool] };
        List<ChatMessage> question = [new(ChatRole.User, "Weather in Paris?")];
        var cancellationToken = TestContext.Current.CancellationToken;
        string text;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync(question, options, cancellationToken)) updates.Add(update);
            text = string.Concat(updates.Select(u => u.Text));
        }
        else
        {
            var response = await client.GetResponseAsync(question, options, cancellationToken);
            text = response.Text;
            Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
            Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
        }
        Assert.Equal(["Paris"], calls);
        Assert.Equal("It is sunny in Paris.", text);
        // Both turns went through the model: the call, then the answer after the tool result.
        Assert.Equal(2, server.Predictor.EvaluatedCounts.Count(n => n > 1));
    }

    [Fact]
    public async Task ToolCallsInOpenAIShape()
    {
        await using var server = await ScriptedServer.StartAsync(completions: [CallWeather, CallWeather, Final]);
        var question = """{"role":"user","content":"Weather in Paris?"}""";
        using var response = await server.PostAsync("v1/chat/completions", $$$"""{"messages":[{{{question}}}],"tools":{{{Tools}}},"tool_choice":"auto"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal("Call the weather tool.", message.GetProperty("reasoning_content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"city\":\"Paris\"}", call.GetProperty("function").GetProperty("arguments").GetString());
        var id = call.GetProperty("id").GetString();

        // Streamed: the first piece of a call has id, type and name; argument text follows.
        using var streamed = await server.PostAsync("v1/chat/completions",
            $$$$"""{"stream":true,"messages":[{{{{question}}}}],"tools":{{{{Tools}}}},"tool_choice":{"type":"function","function":{"name":"get_weather"}}}""",
            completion: HttpCompletionOption.ResponseHeadersRead);
        var chunks = await Sse.ReadAllAsync(streamed);
        var pieces = chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Where(c => c.GetProperty("delta").TryGetProperty("tool_calls", out _))
            .SelectMany(c => c.GetProperty("delta").GetProperty("tool_calls").EnumerateArray()).ToList();
        Assert.Equal("get_weather", pieces[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("function", pieces[0].GetProperty("type").GetString());
        Assert.Equal("{\"city\":\"Paris\"}", string.Concat(pieces.Select(p => p.GetProperty("function").GetProperty("arguments").GetString())));
        Assert.Equal("tool_calls", chunks.Last(c => c.GetProperty("choices").GetArrayLength() > 0).GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        // The result goes back as a tool message; arguments may come back as an object (some clients do that).
        var followUp = $$$$"""
            {"messages":[{{{{question}}}},
              {"role":"assistant","content":null,"tool_calls":[{"id":"{{{{id}}}}","type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},
              {"role":"tool","tool_call_id":"{{{{id}}}}","content":"{\"sky\":\"sunny\"}"}],
             "tools":{{{{Tools}}}}}
            """;
        using var final = await server.PostAsync("v1/chat/completions", followUp);
        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
        var answer = JsonDocument.Parse(await final.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("choices")[0];
        Assert.Equal("It is sunny in Paris.", answer.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", answer.GetProperty("finish_reason").GetString());
    }
}
