// AsChatClient(): Microsoft.Extensions.AI sees reasoning as TextReasoningContent and tool calls as FunctionCallContent,
// and its FunctionInvokingChatClient runs a whole tool round trip against the scripted model.

using Microsoft.Extensions.AI;

namespace Tessera.Tests.Api;

public class ChatClientTests
{
    private const string CallWeather = "<|channel|>analysis<|message|>Call the weather tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";
    private const string Final = "<|channel|>analysis<|message|>The tool said sunny.<|end|><|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>";

    [Fact]
    public async Task ReasoningIsTextReasoningContent()
    {
        using var model = ScriptedPredictor.Model(completions: Final);
        IChatClient client = model.AsChatClient();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather?")], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("It is sunny in Paris.", response.Text);
        Assert.Equal("The tool said sunny.", Assert.Single(response.Messages[0].Contents.OfType<TextReasoningContent>()).Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.True(response.Usage!.OutputTokenCount > 5);
        Assert.Equal("scripted", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task FunctionInvocationRoundTrip()
    {
        using var model = ScriptedPredictor.Model(completions: [CallWeather, Final]);
        var calls = new List<string>();
        var tool = AIFunctionFactory.Create((string city) => { calls.Add(city); return new { city, sky = "sunny", celsius = 21 }; }, "get_weather", "Current weather in a city");
        using var client = new ChatClientBuilder(model.AsChatClient()).UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [tool] }, TestContext.Current.CancellationToken);
        Assert.Equal(["Paris"], calls);
        Assert.Equal("It is sunny in Paris.", response.Text);
        // The conversation the client built holds the call and its result.
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
    }

    [Fact]
    public async Task StreamingFunctionInvocationRoundTrip()
    {
        using var model = ScriptedPredictor.Model(completions: [CallWeather, Final]);
        var tool = AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "Current weather in a city");
        using var client = new ChatClientBuilder(model.AsChatClient()).UseFunctionInvocation().Build();
        var text = "";
        var reasoning = "";
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [tool] }, TestContext.Current.CancellationToken))
        {
            text += update.Text;
            reasoning += string.Concat(update.Contents.OfType<TextReasoningContent>().Select(r => r.Text));
        }
        Assert.Equal("It is sunny in Paris.", text);
        Assert.Contains("Call the weather tool.", reasoning);
    }
}
