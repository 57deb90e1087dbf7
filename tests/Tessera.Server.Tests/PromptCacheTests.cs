// The server over the tiny model (a real KV cache with a 128-token sliding window) reports the prompt tokens it took from
// the cache in usage.prompt_tokens_details.cached_tokens, read through the official OpenAI SDK. Each reply is longer than
// the sliding-window layers' ring (window + batch = 640 slots) and is not part of the next prompt as generated (harmony
// re-renders only the answer), so the next prompt diverges from the cache further back than the ring reaches; it must
// still reuse the whole previous prompt.

using System.ClientModel;
using OpenAI;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using ChatMessage = OpenAI.Chat.ChatMessage;

public class PromptCacheTests
{
    [Fact]
    public async Task EachTurnReusesThePreviousPromptThoughTheReplyOutranTheRing()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var model = TesseraModel.Load(Tessera.Tests.TestModels.Tiny, new TesseraModelOptions { ContextSize = 4096 });
        await using var server = new TesseraServer(model, new TesseraServerOptions { Host = "127.0.0.1", Port = 0 });
        await server.StartAsync(cancel);
        var client = new ChatClient("gpt-oss", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 700, Temperature = 0 };

        List<ChatMessage> messages = [new SystemChatMessage("Answer briefly."), new UserChatMessage("What is the capital of France?")];
        string[] followUps = ["And of Spain?", "And of Italy, with its population?"];
        int previousPrompt = 0;
        for (int turn = 0; turn <= followUps.Length; turn++)
        {
            OpenAI.Chat.ChatCompletion reply = await client.CompleteChatAsync(messages, options, cancel);
            var cached = reply.Usage.InputTokenDetails.CachedTokenCount;
            Assert.Equal(700, reply.Usage.OutputTokenCount);   // the ring wrapped
            if (turn == 0)
                Assert.Equal(0, cached);
            else
                Assert.InRange(cached, previousPrompt, reply.Usage.InputTokenCount - 1);
            previousPrompt = reply.Usage.InputTokenCount;
            if (turn == followUps.Length) break;
            // The tiny model's words are noise; what a client sends back as the answer does not change what is cached.
            messages.Add(new AssistantChatMessage($"Answer {turn + 1}."));
            messages.Add(new UserChatMessage(followUps[turn]));
        }
    }
}
