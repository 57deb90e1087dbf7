// The library API end to end over a scripted model: reasoning apart from the answer, tool calls, streaming chunks
// that add up to the non-streamed result, limits, stop strings, cancellation, usage and timings.

using Tessera.Chat;
using Tessera.Inference;

namespace Tessera.Tests.Api;

public class ChatCompletionTests
{
    private const string Answer = "<|channel|>analysis<|message|>The user asks for the capital of France. It is Paris.<|end|><|start|>assistant<|channel|>final<|message|>The capital of France is **Paris**. 🇫🇷<|return|>";
    private const string ToolCall = "<|channel|>analysis<|message|>Need the weather; call the tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"Paris\",\"unit\":\"c\"}<|call|>";
    private static readonly ChatMessage[] Question = [ChatMessage.System("Be brief."), ChatMessage.User("What is the capital of France?")];

    [Fact]
    public void ReasoningAndAnswerComeApart()
    {
        using var model = ScriptedPredictor.Model(completions: Answer);
        var result = model.CreateChatCompletion(Question);
        var choice = Assert.Single(result.Choices);
        Assert.Equal("The capital of France is **Paris**. 🇫🇷", choice.Message.Content);
        Assert.Equal("The user asks for the capital of France. It is Paris.", choice.Message.Reasoning);
        Assert.Null(choice.Message.ToolCalls);
        Assert.Equal("stop", choice.FinishReason);
        Assert.Equal(ChatRole.Assistant, choice.Message.Role);
        Assert.StartsWith("chatcmpl-", result.Id);
        Assert.Equal("chat.completion", result.Object);
        Assert.Equal(model.Tokenize(model.RenderPrompt(Question)).Length, result.Usage.PromptTokens);
        Assert.Equal(model.Tokenize(Answer).Length, result.Usage.CompletionTokens);
        Assert.Equal(result.Usage.PromptTokens + result.Usage.CompletionTokens, result.Usage.TotalTokens);
        Assert.DoesNotContain("<|", choice.Message.Content);
    }

    [Fact]
    public void ToolCallsComeApart()
    {
        using var model = ScriptedPredictor.Model(completions: ToolCall);
        var tools = new[] { ChatTool.Create("get_weather", "Weather now", """{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}""") };
        var result = model.CreateChatCompletion(Question, new ChatCompletionOptions { Tools = tools });
        var message = result.Choices[0].Message;
        Assert.Equal("tool_calls", result.Choices[0].FinishReason);
        Assert.Null(message.Content);
        Assert.Equal("Need the weather; call the tool.", message.Reasoning);
        var call = Assert.Single(message.ToolCalls!);
        Assert.Equal("get_weather", call.Function.Name);
        Assert.Equal("{\"location\":\"Paris\",\"unit\":\"c\"}", call.Function.Arguments);
        Assert.StartsWith("call_", call.Id);
    }

    [Fact]
    public async Task StreamedChunksAddUpToTheResult()
    {
        foreach (var completion in new[] { Answer, ToolCall })
        {
            using var model = ScriptedPredictor.Model(completions: [completion, completion]);
            var whole = model.CreateChatCompletion(Question);
            var chunks = new List<ChatCompletionChunk>();
            await foreach (var chunk in model.CreateChatCompletionStreaming(Question, cancellationToken: TestContext.Current.CancellationToken)) chunks.Add(chunk);

            Assert.Equal("assistant", chunks[0].Choices[0].Delta.Role);
            Assert.All(chunks, c => Assert.Equal(chunks[0].Id, c.Id));
            Assert.All(chunks[..^1], c => Assert.Null(c.Choices[0].FinishReason));
            var last = chunks[^1];
            Assert.Equal(whole.Choices[0].FinishReason, last.Choices[0].FinishReason);
            Assert.Equal(whole.Usage with { PromptTokensDetails = last.Usage!.PromptTokensDetails }, last.Usage);
            // The same prompt again: every token but the last, which is evaluated again for its logits, from the cache.
            Assert.Equal(whole.Usage.PromptTokens - 1, last.Usage.PromptTokensDetails!.CachedTokens);
            Assert.NotNull(last.Timings);
            var content = string.Concat(chunks.Select(c => c.Choices[0].Delta.Content));
            var reasoning = string.Concat(chunks.Select(c => c.Choices[0].Delta.ReasoningContent));
            Assert.Equal(whole.Choices[0].Message.Content ?? "", content);
            Assert.Equal(whole.Choices[0].Message.Reasoning ?? "", reasoning);
            var toolDeltas = chunks.SelectMany(c => c.Choices[0].Delta.ToolCalls ?? []).ToList();
            if (whole.Choices[0].Message.ToolCalls is { } calls)
            {
                Assert.Equal(calls[0].Function.Name, toolDeltas[0].Function.Name);
                Assert.NotNull(toolDeltas[0].Id);
                Assert.Equal(calls[0].Function.Arguments, string.Concat(toolDeltas.Select(t => t.Function.Arguments)));
            }
            else Assert.Empty(toolDeltas);
            Assert.True(chunks.Count > 10, "deltas are streamed token by token");
        }
    }

    [Fact]
    public void MaxTokensEndsWithLength()
    {
        using var model = ScriptedPredictor.Model(completions: Answer);
        var result = model.CreateChatCompletion(Question, new ChatCompletionOptions { MaxTokens = 5 });
        Assert.Equal("length", result.Choices[0].FinishReason);
        Assert.Equal(5, result.Usage.CompletionTokens);
        Assert.Null(result.Choices[0].Message.ToolCalls);
    }

    [Fact]
    public void StopStringCutsTheAnswer()
    {
        using var model = ScriptedPredictor.Model(completions: Answer);
        var result = model.CreateChatCompletion(Question, new ChatCompletionOptions { Stop = ["**Paris"] });
        Assert.Equal("The capital of France is ", result.Choices[0].Message.Content);
        Assert.Equal("stop", result.Choices[0].FinishReason);
    }

    [Fact]
    public void PromptLongerThanTheContextIsAClearError()
    {
        using var model = ScriptedPredictor.Model(contextSize: 200, completions: Answer);
        var e = Assert.Throws<ContextOverflowException>(() => model.CreateChatCompletion([ChatMessage.User(string.Join(" ", Enumerable.Repeat("word", 200)))]));
        Assert.Contains("context holds 200", e.Message);
        // Nothing is lost: the model still answers a short question.
        Assert.Equal("stop", model.CreateChatCompletion(Question).Choices[0].FinishReason);
    }

    [Fact]
    public async Task CancellationStopsStreaming()
    {
        using var model = ScriptedPredictor.Model(completions: string.Concat(Enumerable.Repeat("<|channel|>final<|message|>" + new string('x', 50), 1)) + string.Concat(Enumerable.Repeat(" more", 2000)));
        using var cts = new CancellationTokenSource();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var chunk in model.CreateChatCompletionStreaming(Question, cancellationToken: cts.Token))
                if (++seen == 5) await cts.CancelAsync();
        });
        Assert.InRange(seen, 5, 80);
        // The model is free again afterwards.
        var next = model.CreateChatCompletion(Question, new ChatCompletionOptions { MaxTokens = 3 });
        Assert.Equal("length", next.Choices[0].FinishReason);
    }

    [Fact]
    public void ImpossibleOptionsAreRefused()
    {
        using var model = ScriptedPredictor.Model(completions: Answer);
        Assert.Throws<ArgumentException>(() => model.CreateChatCompletion(Question, new ChatCompletionOptions { MaxTokens = -1 }));
        Assert.Throws<ArgumentException>(() => model.CreateChatCompletion(Question, new ChatCompletionOptions { Sampling = new() { Temperature = -1 } }));
        Assert.Throws<ArgumentException>(() => model.CreateChatCompletion(Question, new ChatCompletionOptions { ToolChoice = "sometimes" }));
        Assert.Throws<ArgumentException>(() => new TesseraModelOptions { ContextSize = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new TesseraModelOptions { Threads = 0 }.Validate());
    }

    [Fact]
    public void TimingsAndPrefixCache()
    {
        using var model = ScriptedPredictor.Model(completions: [Answer, Answer]);
        var first = model.CreateChatCompletion(Question);
        Assert.Equal(first.Usage.PromptTokens, first.Timings.PromptEvalTokens);
        Assert.Equal(first.Usage.CompletionTokens - 1, first.Timings.EvalRuns);   // the end token is sampled, never evaluated
        Assert.Equal(1.5, first.Timings.LoadMs);
        Assert.Contains("prompt eval time", first.Timings.ToString());
        Assert.Contains("tokens per second", first.Timings.ToString());

        // A follow-up that repeats the conversation reuses the cached prefix.
        var followUp = Question.Append(first.Choices[0].Message).Append(ChatMessage.User("And of Spain?")).ToArray();
        var second = model.CreateChatCompletion(followUp);
        Assert.True(second.Timings.PromptCachedTokens > 20, $"cached {second.Timings.PromptCachedTokens}");
        Assert.Equal(second.Usage.PromptTokens, second.Timings.PromptCachedTokens + second.Timings.PromptEvalTokens);
        Assert.Same(second.Timings, model.LastTimings);
    }

    [Fact]
    public void RawCompletionReturnsText()
    {
        using var model = ScriptedPredictor.Model(completions: " jumps over the lazy dog.<|return|>");
        var result = model.CreateCompletion("The quick brown fox", new CompletionOptions { MaxTokens = 50 });
        Assert.Equal(" jumps over the lazy dog.", result.Choices[0].Text);
        Assert.Equal("stop", result.Choices[0].FinishReason);
        Assert.Equal("text_completion", result.Object);
    }
}
