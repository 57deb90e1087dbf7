// /v1/chat/completions through the official OpenAI .NET SDK (non-streaming and streaming) and raw HTTP for what the
// SDK does not expose: reasoning_content in the message and in deltas, the SSE framing, the usage chunk.

using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

using ChatCompletion = OpenAI.Chat.ChatCompletion;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using ChatResponseFormat = OpenAI.Chat.ChatResponseFormat;

public class ChatCompletionsTests
{
    internal const string Answer = "<|channel|>analysis<|message|>The user asks for the capital of France. It is Paris.<|end|><|start|>assistant<|channel|>final<|message|>The capital of France is Paris. 🇫🇷<|return|>";
    internal const string AnswerText = "The capital of France is Paris. 🇫🇷";
    internal const string AnswerReasoning = "The user asks for the capital of France. It is Paris.";
    private const string Question = """{"role":"user","content":"What is the capital of France?"}""";

    [Fact]
    public async Task OpenAISdkNonStreaming()
    {
        await using var server = await ScriptedServer.StartAsync(new() { ModelAlias = "gpt-oss-test" }, completions: Answer);
        var client = server.OpenAIChatClient();
        ChatCompletion result = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("What is the capital of France?")],
            new ChatCompletionOptions { Temperature = 0.7f, TopP = 0.9f, MaxOutputTokenCount = 200 },
            TestContext.Current.CancellationToken);
        Assert.Equal(AnswerText, Assert.Single(result.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, result.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, result.Role);
        Assert.Equal("gpt-oss-test", result.Model);
        Assert.StartsWith("chatcmpl-", result.Id);
        Assert.True(result.Usage.InputTokenCount > 10);
        Assert.Equal(ScriptedTokens(Answer), result.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task OpenAISdkStreaming()
    {
        await using var server = await ScriptedServer.StartAsync(completions: Answer);
        var client = server.OpenAIChatClient();
        var text = "";
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("What is the capital of France?")],
            new ChatCompletionOptions(), TestContext.Current.CancellationToken))
        {
            updates++;
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
            Assert.Equal("scripted", update.Model);
        }
        Assert.Equal(AnswerText, text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates > 5, "the answer should come in many chunks");
        // The SDK asks for stream_options.include_usage itself.
        Assert.NotNull(usage);
        Assert.Equal(ScriptedTokens(Answer), usage.OutputTokenCount);
    }

    [Fact]
    public async Task ReasoningContentInMessageAndDeltas()
    {
        await using var server = await ScriptedServer.StartAsync(completions: [Answer, Answer]);
        // Earlier assistant turns may carry their reasoning under any of the three names clients use.
        var body = $$$"""
            {"model":"x","messages":[{"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello.","reasoning_content":"Greet back."},
              {"role":"user","content":[{"type":"text","text":"What is the capital"},{"type":"text","text":"of France?"}]},
              {"role":"assistant","content":"Paris.","thinking":"Easy."},
              {"role":"assistant","content":"Paris!","reasoning":"Again."},
              {{{Question}}}]}
            """;
        using var response = await server.PostAsync("v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var message = json.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(AnswerReasoning, message.GetProperty("reasoning_content").GetString());
        Assert.Equal(AnswerText, message.GetProperty("content").GetString());
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());

        using var streamed = await server.PostAsync("v1/chat/completions", body.Replace("\"model\":\"x\",", "\"stream\":true,"), completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType!.MediaType);
        var chunks = await Sse.ReadAllAsync(streamed);
        Assert.Equal(AnswerReasoning, Sse.Delta(chunks, "reasoning_content"));
        Assert.Equal(AnswerText, Sse.Delta(chunks, "content"));
    }

    [Fact]
    public async Task StreamFramingAndUsageChunk()
    {
        await using var server = await ScriptedServer.StartAsync(completions: [Answer, Answer]);
        foreach (var includeUsage in new[] { true, false })
        {
            var body = $$$"""{"messages":[{{{Question}}}],"stream":true,"stream_options":{"include_usage":{{{(includeUsage ? "true" : "false")}}}}}""";
            using var response = await server.PostAsync("v1/chat/completions", body, completion: HttpCompletionOption.ResponseHeadersRead);
            var chunks = await Sse.ReadAllAsync(response);
            Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
            Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
            Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
            var withChoices = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).ToList();
            Assert.Equal("stop", withChoices[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
            Assert.All(withChoices[..^1], c => Assert.False(c.GetProperty("choices")[0].TryGetProperty("finish_reason", out var f) && f.ValueKind != JsonValueKind.Null));
            var usageChunks = chunks.Where(c => c.TryGetProperty("usage", out _)).ToList();
            if (!includeUsage)
            {
                Assert.Empty(usageChunks);
                continue;
            }
            // As OpenAI: the last chunk, with no choices, carries the usage.
            var last = Assert.Single(usageChunks);
            Assert.Equal(chunks[^1], last);
            Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
            Assert.Equal(ScriptedTokens(Answer), last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
    }

    [Fact]
    public async Task StopStringsAndResponseFormats()
    {
        // The response formats are enforced while sampling: the scripted model's JSON answer passes untouched.
        const string JsonAnswer = "<|channel|>analysis<|message|>Paris, as JSON.<|end|><|start|>assistant<|channel|>final<|message|>{\"city\": \"Paris\"}<|return|>";
        await using var server = await ScriptedServer.StartAsync(completions: [JsonAnswer, JsonAnswer, Answer]);
        var client = server.OpenAIChatClient();
        var cancellationToken = TestContext.Current.CancellationToken;
        var schema = BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""");
        ChatCompletion structured = await client.CompleteChatAsync([new UserChatMessage("Capital?")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("city", schema, jsonSchemaIsStrict: true) }, cancellationToken);
        Assert.Equal("{\"city\": \"Paris\"}", structured.Content[0].Text);

        ChatCompletion jsonObject = await client.CompleteChatAsync([new UserChatMessage("Capital?")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() }, cancellationToken);
        Assert.Equal("{\"city\": \"Paris\"}", jsonObject.Content[0].Text);

        // Last: a stop string leaves the rest of the script unsaid, and the scripted model would say it next time.
        ChatCompletion stopped = await client.CompleteChatAsync([new UserChatMessage("Capital?")],
            new ChatCompletionOptions { StopSequences = { " Paris" } }, cancellationToken);
        Assert.Equal("The capital of France is", stopped.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public async Task UnknownFieldsAndNullsAreIgnored()
    {
        await using var server = await ScriptedServer.StartAsync(completions: Answer);
        var body = $$$"""
            {"model":"gpt-4o","messages":[{{{Question}}}],"user":"u1","metadata":{"a":"b"},"store":false,"logprobs":false,
             "parallel_tool_calls":true,"temperature":null,"top_p":null,"stop":null,"tools":null,"tool_choice":null,
             "response_format":{"type":"text"},"stream":false,"stream_options":null,"n":1,"seed":-1,"logit_bias":{"200":-100},
             "min_p":0.05,"top_k":40,"repeat_penalty":1.1,"presence_penalty":0.5,"frequency_penalty":0.5,"reasoning_effort":"low",
             "max_completion_tokens":500,"some_future_field":{"nested":[1,2,3]}}
            """;
        using var response = await server.PostAsync("v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MaxTokensEndsWithLength()
    {
        await using var server = await ScriptedServer.StartAsync(completions: [Answer]);
        ChatCompletion result = await server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Capital?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 }, TestContext.Current.CancellationToken);
        Assert.Equal(ChatFinishReason.Length, result.FinishReason);
        Assert.Equal(5, result.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task ContextOverflowIsContextLengthExceeded()
    {
        await using var server = await ScriptedServer.StartAsync(contextSize: 128, completions: Answer);
        var longText = string.Concat(Enumerable.Repeat("lorem ipsum ", 200));
        foreach (var stream in new[] { false, true })
        {
            using var response = await server.PostAsync("v1/chat/completions", $$$"""{"stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"{{{longText}}}"}]}""");
            var error = await ErrorAssert.IsOpenAIErrorAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
            Assert.Equal("messages", error.GetProperty("param").GetString());
        }
        using (var raw = await server.PostAsync("v1/completions", $$$"""{"prompt":"{{{longText}}}"}"""))
        {
            var error = await ErrorAssert.IsOpenAIErrorAsync(raw, HttpStatusCode.BadRequest);
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
            Assert.Equal("prompt", error.GetProperty("param").GetString());
        }
        // The SDK surfaces it as a ClientResultException with the status.
        var e = await Assert.ThrowsAsync<ClientResultException>(() => server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage(longText)], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(400, e.Status);
    }

    internal static int ScriptedTokens(string completion) => Tessera.Tests.Api.ScriptedPredictor.Tokenizer.Encode(completion, parseSpecial: true).Length;
}
