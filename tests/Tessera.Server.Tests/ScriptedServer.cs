// A TesseraServer on a real loopback port (port 0, the bound port read back) over a scripted model, with the clients
// the tests talk to it through: raw HttpClient, the official OpenAI SDK, and Microsoft.Extensions.AI over that SDK.

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Tessera.Tests.Api;

namespace Tessera.Server.Tests;

internal sealed class ScriptedServer : IAsyncDisposable
{
    public const string ApiKey = "test-key";

    private ScriptedServer(TesseraModel model, ScriptedPredictor predictor, TesseraServer server)
    {
        Model = model;
        Predictor = predictor;
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public TesseraModel Model { get; }

    /// <summary>The scripted forward pass: its evaluation count tells how far generation went.</summary>
    public ScriptedPredictor Predictor { get; }

    public TesseraServer Server { get; }

    /// <summary>A raw client whose base address is the server's root (paths start with <c>v1/</c>).</summary>
    public HttpClient Http { get; }

    /// <summary>Serves a model whose replies, request after request, are <paramref name="completions"/> (harmony text).</summary>
    public static async Task<ScriptedServer> StartAsync(TesseraServerOptions? options = null, int contextSize = 4096, params string[] completions)
    {
        var predictor = new ScriptedPredictor(completions.SelectMany(c => ScriptedPredictor.Tokenizer.Encode(c, parseSpecial: true)), contextSize);
        var model = new TesseraModel(predictor, ScriptedPredictor.Tokenizer, "scripted", 1.5);
        var server = new TesseraServer(model, (options ?? new TesseraServerOptions()) with { Host = "127.0.0.1", Port = 0 });
        await server.StartAsync(TestContext.Current.CancellationToken);
        return new ScriptedServer(model, predictor, server);
    }

    /// <summary>The official SDK's chat client pointed at this server, over <paramref name="http"/> if given.</summary>
    public ChatClient OpenAIChatClient(string apiKey = ApiKey, HttpClient? http = null) => new("gpt-oss", new ApiKeyCredential(apiKey), SdkOptions(http));

    public OpenAIClient OpenAIClient(string apiKey = ApiKey) => new(new ApiKeyCredential(apiKey), SdkOptions(null));

    private OpenAIClientOptions SdkOptions(HttpClient? http)
    {
        var options = new OpenAIClientOptions { Endpoint = V1, NetworkTimeout = TimeSpan.FromSeconds(30) };
        if (http is not null) options.Transport = new HttpClientPipelineTransport(http);
        return options;
    }

    /// <summary>Microsoft.Extensions.AI's IChatClient over the official SDK, pointed at this server.</summary>
    public IChatClient ExtensionsChatClient() => OpenAIChatClient().AsIChatClient();

    public Uri V1 => new(Server.BaseAddress, "v1");

    /// <summary>Posts <paramref name="json"/> as is.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, string? apiKey = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return Http.SendAsync(request, completion, cancellationToken.CanBeCanceled ? cancellationToken : TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Model.Dispose();
    }
}
