// An OpenAI-compatible HTTP server for one TesseraModel (ASP.NET Core minimal APIs on Kestrel, nothing reflective so
// the trimmed CLI can host it): chat and legacy completions, streamed as server-sent events; /v1/models, /health and
// /metrics. Follows the OpenAI API reference for shapes and errors, llama-server for names and extensions.

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tessera.Server.Protocol;

namespace Tessera.Server;

/// <summary>Serves a <see cref="TesseraModel"/> over HTTP with OpenAI's API. The server does not own the model.</summary>
/// <remarks>Requests that generate are served one at a time in arrival order; up to
/// <see cref="TesseraServerOptions.QueueLimit"/> wait, more get 429. A client that disconnects cancels its generation.</remarks>
public sealed partial class TesseraServer : IAsyncDisposable
{
    private const string HealthPath = "/health";

    private readonly TesseraModel _model;
    private readonly TesseraServerOptions _options;
    private readonly RequestQueue _queue;
    private readonly ServerMetrics _metrics;
    private readonly byte[]? _apiKey;
    private readonly TextWriter? _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private WebApplication? _app;
    private Uri? _baseAddress;

    /// <summary>A server for <paramref name="model"/>; call <see cref="StartAsync"/> to listen.</summary>
    /// <exception cref="ArgumentException">The options cannot work.</exception>
    public TesseraServer(TesseraModel model, TesseraServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new TesseraServerOptions();
        _options.Validate();
        _model = model;
        _queue = new RequestQueue(_options.QueueLimit);
        _metrics = new ServerMetrics(_queue);
        _apiKey = _options.ApiKey is { } key ? Encoding.UTF8.GetBytes(key) : null;
        _log = _options.Log is { } log ? TextWriter.Synchronized(log) : null;
        ModelId = _options.ModelAlias ?? model.Name;
    }

    /// <summary>The model id clients see in <c>/v1/models</c> and in results.</summary>
    public string ModelId { get; }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8080/</c> (the real port when 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("the server has not been started");

    /// <summary>Binds the address and starts answering requests.</summary>
    /// <exception cref="ArgumentException">The host is neither an IP address nor <c>localhost</c>.</exception>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null) throw new InvalidOperationException("the server is already started");
        var address = ParseHost(_options.Host);
        // The empty builder: no configuration files, no logging providers, no HTTPS; only what is mapped below.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(address, _options.Port);
            k.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        app.Use(ObserveAsync);
        app.Use(AuthorizeAsync);
        MapEndpoints(app);
        // Generations in flight end at once on shutdown instead of holding it up.
        app.Lifetime.ApplicationStopping.Register(_stopping.Cancel);
        try { await app.StartAsync(cancellationToken).ConfigureAwait(false); }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _baseAddress = new Uri(bound.EndsWith('/') ? bound : bound + "/");
    }

    /// <summary>Stops listening; generations in flight are cancelled.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is { } app) await app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_app is { } app) await app.DisposeAsync().ConfigureAwait(false);
        _app = null;
        _stopping.Dispose();
    }

    private void MapEndpoints(WebApplication app)
    {
        // The /v1 prefix is optional, as in llama-server: some clients are given a base URL without it.
        foreach (var prefix in (string[])["/v1", ""])
        {
            app.MapPost(prefix + "/chat/completions", (RequestDelegate)ChatCompletionsAsync);
            app.MapPost(prefix + "/completions", (RequestDelegate)CompletionsAsync);
            app.MapGet(prefix + "/models", (RequestDelegate)ModelsAsync);
            app.MapGet(prefix + "/models/{**id}", (RequestDelegate)ModelAsync);   // ids may hold slashes
        }
        app.MapGet(HealthPath, (RequestDelegate)(context => WriteJsonAsync(context, new HealthStatus("ok"), ServerJsonContext.Relaxed.HealthStatus)));
        app.MapGet("/metrics", (RequestDelegate)MetricsAsync);
    }

    private static IPAddress ParseHost(string host) =>
        TesseraServerOptions.TryParseHost(host) ?? throw new ArgumentException(TesseraServerOptions.BadHost(host), nameof(host));

    // Outermost: counts and logs every answer, and turns what nothing else caught, or an empty 404/405, into an
    // OpenAI error body.
    private async Task ObserveAsync(HttpContext context, RequestDelegate next)
    {
        var start = TimeProvider.System.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405)
                await WriteErrorAsync(context, context.Response.StatusCode == 404
                    ? ErrorMapping.NotFound($"{context.Request.Method} {context.Request.Path}")
                    : new ApiException(405, new ErrorBody($"{context.Request.Method} is not allowed on {context.Request.Path}", "invalid_request_error", null, "method_not_allowed"))).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await WriteErrorAsync(context, ErrorMapping.ToApiException(e, "messages")).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested || context.Response.HasStarted)
        {
            // The client is gone or the answer is half sent: nothing more can be told.
        }
        finally
        {
            var seconds = TimeProvider.System.GetElapsedTime(start).TotalSeconds;
            var status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            _metrics.CountRequest(route, status, seconds, generation: context.Request.Method == "POST" && route != "unmatched");
            _log?.WriteLine($"{DateTime.Now:HH:mm:ss} {context.Request.Method} {context.Request.Path} {status} {seconds * 1000:F0} ms");
        }
    }

    private Task AuthorizeAsync(HttpContext context, RequestDelegate next)
    {
        if (_apiKey is null || context.Request.Path.Equals(HealthPath, StringComparison.OrdinalIgnoreCase)) return next(context);
        var header = context.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)) return WriteErrorAsync(context, ErrorMapping.Unauthorized(missing: true));
        var given = Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _apiKey) ? next(context) : WriteErrorAsync(context, ErrorMapping.Unauthorized(missing: false));
    }

    private Task ModelsAsync(HttpContext context) =>
        WriteJsonAsync(context, new ModelList([new ModelCard(ModelId, _created, "tessera")]), ServerJsonContext.Relaxed.ModelList);

    private Task ModelAsync(HttpContext context) =>
        context.Request.RouteValues["id"] as string == ModelId
            ? WriteJsonAsync(context, new ModelCard(ModelId, _created, "tessera"), ServerJsonContext.Relaxed.ModelCard)
            : WriteErrorAsync(context, ErrorMapping.NotFound($"model \"{context.Request.RouteValues["id"]}\""));

    private Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return context.Response.WriteAsync(_metrics.ToPrometheusText(), context.RequestAborted);
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> info, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, info, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteErrorAsync(HttpContext context, ApiException error)
    {
        if (error.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteJsonAsync(context, new ErrorResponse(error.Error), ServerJsonContext.Relaxed.ErrorResponse, error.Status);
    }
}
