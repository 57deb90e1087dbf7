// --api-key: every endpoint but /health needs `Authorization: Bearer KEY`; a missing or wrong key gets OpenAI's 401.

using System.ClientModel;
using System.Net;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

using ChatCompletion = OpenAI.Chat.ChatCompletion;

public class AuthTests
{
    [Fact]
    public async Task KeyGuardsEverythingButHealth()
    {
        await using var server = await ScriptedServer.StartAsync(new() { ApiKey = ScriptedServer.ApiKey }, completions: ChatCompletionsTests.Answer);
        var cancellationToken = TestContext.Current.CancellationToken;
        var chat = """{"messages":[{"role":"user","content":"Hi"}]}""";

        foreach (var key in new[] { null, "wrong-key", ScriptedServer.ApiKey + "x", "" })
        {
            foreach (var path in new[] { "v1/models", "metrics" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (key is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
                using var get = await server.Http.SendAsync(request, cancellationToken);
                var error = await ErrorAssert.IsOpenAIErrorAsync(get, HttpStatusCode.Unauthorized);
                Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
            }
            using var post = await server.PostAsync("v1/chat/completions", chat, apiKey: key);
            await ErrorAssert.IsOpenAIErrorAsync(post, HttpStatusCode.Unauthorized);
        }
        Assert.Equal(0, server.Predictor.Evaluations);

        using var health = await server.Http.GetAsync("health", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await health.Content.ReadAsStringAsync(cancellationToken));

        using var models = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        models.Headers.Authorization = new("Bearer", ScriptedServer.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(models, cancellationToken)).StatusCode);

        // The official SDK with the right key, then with a wrong one.
        ChatCompletion ok = await server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: cancellationToken);
        Assert.Equal(ChatCompletionsTests.AnswerText, ok.Content[0].Text);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => server.OpenAIChatClient("nope").CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: cancellationToken));
        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task NoKeyConfiguredMeansOpen()
    {
        await using var server = await ScriptedServer.StartAsync();
        using var models = await server.Http.GetAsync("v1/models", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }
}
