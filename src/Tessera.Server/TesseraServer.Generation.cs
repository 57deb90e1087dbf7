// What chat and legacy completions share: read and check the body, wait in the queue (429 when it is full), then
// answer with one JSON object or a stream of server-sent events (`data: {chunk}\n\n` ... `data: [DONE]\n\n`).
// The first event is produced before the headers go out, so a request the model refuses still gets a 400.

using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Protocol;

namespace Tessera.Server;

public sealed partial class TesseraServer
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    /// <summary>The request body, or an <see cref="ApiException"/> saying why it is not one.</summary>
    private static async Task<T> ReadRequestAsync<T>(HttpContext context, JsonTypeInfo<T> info) where T : class =>
        await JsonSerializer.DeserializeAsync(context.Request.Body, info, context.RequestAborted).ConfigureAwait(false)
        ?? throw ApiException.BadRequest("the request body must be a JSON object, not null");

    /// <summary>Serves one generation: <paramref name="complete"/> makes the whole answer as JSON,
    /// <paramref name="stream"/> its events; both run with the model to themselves.</summary>
    private async Task GenerateAsync(HttpContext context, string inputParam, bool streaming,
        Func<CancellationToken, Task<byte[]>> complete, Func<CancellationToken, IAsyncEnumerable<byte[]>> stream)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var cancellationToken = cancel.Token;
        IDisposable? lease;
        try { lease = await _queue.EnterAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            Abandoned(context);
            return;
        }
        if (lease is null)
        {
            await WriteErrorAsync(context, ErrorMapping.QueueFull(_queue.QueueLimit)).ConfigureAwait(false);
            return;
        }
        using (lease)
        {
            try
            {
                if (streaming) await StreamAsync(context, stream(cancellationToken), cancellationToken).ConfigureAwait(false);
                else
                {
                    var body = await complete(cancellationToken).ConfigureAwait(false);
                    context.Response.ContentType = "application/json";
                    await context.Response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The generation is already stopped.
                Abandoned(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, ErrorMapping.ToApiException(e, inputParam)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Half way through a stream the status is sent; an error event is all that is left (as llama-server does).
                var error = JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(ErrorMapping.ToApiException(e, inputParam).Error), ServerJsonContext.Relaxed.ErrorResponse);
                await WriteEventAsync(context, error, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    // The client went away (nobody reads the status; /metrics counts 499) or the server is stopping (503).
    private static void Abandoned(HttpContext context)
    {
        if (!context.Response.HasStarted) context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
    }

    private static async Task StreamAsync(HttpContext context, IAsyncEnumerable<byte[]> events, CancellationToken cancellationToken)
    {
        await using var e = events.GetAsyncEnumerator(cancellationToken);
        var more = await e.MoveNextAsync().ConfigureAwait(false);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";   // proxies such as nginx would otherwise hold the events back
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        for (; more; more = await e.MoveNextAsync().ConfigureAwait(false))
            await WriteEventAsync(context, e.Current, cancellationToken).ConfigureAwait(false);
        response.BodyWriter.Write(Done);
        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(HttpContext context, byte[] json, CancellationToken cancellationToken)
    {
        var writer = context.Response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(json);
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
