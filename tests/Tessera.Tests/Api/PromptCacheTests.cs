// CreateChatCompletion across calls on one TesseraModel (the tiny model, a real KV cache): a follow-up whose prompt
// diverges from the cache further back than the sliding-window ring reaches (the previous reply was longer than the ring
// and harmony does not repeat it as generated) reuses the whole previous prompt, and replies exactly as a model that
// evaluates the follow-up from scratch.

using Tessera.Chat;
using Tessera.Inference;

namespace Tessera.Tests.Api;

public class PromptCacheTests
{
    private static readonly ChatCompletionOptions Greedy = new()
    {
        MaxTokens = 700, Sampling = SamplingOptions.Greedy, CurrentDate = new DateOnly(2026, 1, 1),
    };

    [Fact]
    public void AFollowUpReusesThePreviousPromptAndRepliesAsFromScratch()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var model = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions { ContextSize = 4096 });
        ChatMessage[] first = [ChatMessage.System("Answer briefly."), ChatMessage.User("What is the capital of France?")];
        var reply = model.CreateChatCompletion(first, Greedy, cancel);
        Assert.Equal(0, reply.Usage.PromptTokensDetails!.CachedTokens);
        Assert.Equal(700, reply.Usage.CompletionTokens);   // longer than the ring of 128 + 512 slots

        ChatMessage[] second = [.. first, ChatMessage.Assistant("Paris."), ChatMessage.User("And of Spain?")];
        var reused = model.CreateChatCompletion(second, Greedy with { MaxTokens = 1 }, cancel);
        var cached = reused.Usage.PromptTokensDetails!.CachedTokens;
        Assert.InRange(cached, reply.Usage.PromptTokens, reused.Usage.PromptTokens - 1);
        Assert.Equal(cached, reused.Timings.PromptCachedTokens);
        Assert.Equal(reused.Usage.PromptTokens - cached, reused.Timings.PromptEvalTokens);
    }

    [Fact]
    public void TextAfterAReusedPrefixIsTheTextFromScratch()
    {
        // Raw completions show the generated tokens as they are (the tiny model's replies are not harmony). On the CPU,
        // whose logits are the same bits for any batch split: a GPU's prompt products round differently for a suffix
        // than for the whole prompt (other kernels for other row counts), and this random model's greedy text then
        // parts after a few tokens (H200, before and after 2026-12-03's decode fusions alike).
        var cancel = TestContext.Current.CancellationToken;
        var cpu = new TesseraModelOptions { ContextSize = 4096, Device = Tessera.Backends.DeviceChoice.Cpu };
        using var model = TesseraModel.Load(TestModels.Tiny, cpu);
        ChatMessage[] first = [ChatMessage.System("Answer briefly."), ChatMessage.User("What is the capital of France?")];
        var reply = model.CreateChatCompletion(first, Greedy, cancel);
        ChatMessage[] second = [.. first, ChatMessage.Assistant("Paris."), ChatMessage.User("And of Spain?")];
        var prompt = model.RenderPrompt(second, Greedy);
        var options = new CompletionOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy };
        var reused = model.CreateCompletion(prompt, options, cancel);
        Assert.True(reused.Usage.PromptTokensDetails!.CachedTokens >= reply.Usage.PromptTokens);

        using var fresh = TesseraModel.Load(TestModels.Tiny, cpu);
        var fromScratch = fresh.CreateCompletion(prompt, options, cancel);
        Assert.Equal(0, fromScratch.Usage.PromptTokensDetails!.CachedTokens);
        Assert.Equal(40, reused.Usage.CompletionTokens);
        Assert.Equal(fromScratch.Choices[0].Text, reused.Choices[0].Text);
    }
}
