// Structured output over HTTP on the tiny random-weight model: the official OpenAI SDK with a schema derived from a C#
// type, Microsoft.Extensions.AI's GetResponseAsync<T>() over that SDK, json_object, tool_choice naming a function, and
// a schema the compiler does not support answered with 400 naming the keyword.

using System.ClientModel;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Tessera.Tests;

namespace Tessera.Server.Tests;

public sealed class TinyServerFixture : IAsyncLifetime
{
    public TesseraModel Model { get; } = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions { ContextSize = 2048, Threads = 2 });

    public TesseraServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // The random model would reason forever: answers begin at once.
        Server = new TesseraServer(Model, new TesseraServerOptions { Host = "127.0.0.1", Port = 0, Defaults = new() { MaxReasoningTokens = 0 } });
        await Server.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Model.Dispose();
    }

    public ChatClient Sdk() => new("gpt-oss", new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(Server.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromSeconds(60) });
}

public class StructuredOutputTests(TinyServerFixture fixture) : IClassFixture<TinyServerFixture>
{
    public enum Sky { Clear, Cloudy, Rain }

    public sealed record Reading(long Hour, double Value);

    public sealed record Forecast(long Day, double Temperature, bool Sunny, Sky Sky, Reading[] Readings);

    private const int Generations = 5;

    [Fact]
    public async Task OfficialSdkWithASchemaFromACSharpType()
    {
        var schema = AIJsonUtilities.CreateJsonSchema(typeof(Forecast));
        var options = new OpenAI.Chat.ChatCompletionOptions
        {
            ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("forecast", BinaryData.FromString(schema.GetRawText()), jsonSchemaIsStrict: true),
            MaxOutputTokenCount = 1500,
        };
        var client = fixture.Sdk();
        for (var i = 0; i < Generations; i++)
        {
            OpenAI.Chat.ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("The forecast, please.")], options, TestContext.Current.CancellationToken);
            Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
            var text = completion.Content[0].Text;
            var forecast = JsonSerializer.Deserialize<Forecast>(text, AIJsonUtilities.DefaultOptions);
            Assert.NotNull(forecast);
            Assert.NotNull(forecast.Readings);
        }
    }

    [Fact]
    public async Task GetResponseAsyncOfTDeserialisesEveryTime()
    {
        using var client = fixture.Sdk().AsIChatClient();
        for (var i = 0; i < Generations; i++)
        {
            var response = await client.GetResponseAsync<Forecast>("The forecast, please.", new ChatOptions { MaxOutputTokens = 1500 },
                cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(response.TryGetResult(out var forecast), response.Text);
            Assert.NotNull(forecast.Readings);
        }
    }

    [Fact]
    public async Task JsonObjectIsOneObject()
    {
        var client = fixture.Sdk();
        var options = new OpenAI.Chat.ChatCompletionOptions { ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat(), MaxOutputTokenCount = 40 };
        for (var i = 0; i < Generations; i++)
        {
            OpenAI.Chat.ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("JSON.")], options, TestContext.Current.CancellationToken);
            if (completion.FinishReason == OpenAI.Chat.ChatFinishReason.Length) continue;
            using var doc = JsonDocument.Parse(completion.Content[0].Text);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        }
    }

    private const string Tools = """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":8}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"integer","minimum":-12,"maximum":14}},"required":["zone"]}}}]""";

    [Fact]
    public async Task ToolChoiceNamingAFunctionForcesThatCall()
    {
        for (var i = 0; i < Generations; i++)
        {
            using var response = await PostAsync($$"""{"messages":[{"role":"user","content":"Weather?"}],"tools":{{Tools}},"max_tokens":200,"seed":{{i}},"tool_choice":{"type":"function","function":{"name":"get_time"} } }""");
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
            Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
            var function = Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray()).GetProperty("function");
            Assert.Equal("get_time", function.GetProperty("name").GetString());
            var zone = JsonDocument.Parse(function.GetProperty("arguments").GetString()!).RootElement.GetProperty("zone").GetInt32();
            Assert.InRange(zone, -12, 14);
        }
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"n":{"type":"integer","multipleOf":3}}}""", "multipleOf")]
    [InlineData("""{"type":"object","properties":{"a":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}""", "oneOf")]
    [InlineData("""{"type":"string","format":"email"}""", "format")]
    [InlineData("""{"type":"array","items":{"type":"string"},"uniqueItems":true}""", "uniqueItems")]
    public async Task AnUnsupportedSchemaIs400NamingTheKeyword(string schema, string keyword)
    {
        using var response = await PostAsync("""{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":""" + schema + "}}}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.Contains(keyword, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AnUnsupportedToolSchemaIs400NamingToolAndKeyword()
    {
        var tools = """[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"not":{"type":"null"}}}}}}]""";
        using var response = await PostAsync("""{"messages":[{"role":"user","content":"x"}],"tools":""" + tools + ""","tool_choice":"required"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("tool \"f\"", message);
        Assert.Contains("`not`", message);
    }

    private async Task<HttpResponseMessage> PostAsync(string json)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        return await http.PostAsync("v1/chat/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
    }
}
