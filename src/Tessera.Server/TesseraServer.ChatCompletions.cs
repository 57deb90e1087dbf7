// `POST /v1/chat/completions`: the library does the harmony work (reasoning as reasoning_content, tool calls);
// the server reports its model id, moves usage to OpenAI's own usage chunk (empty choices, only when
// stream_options.include_usage asks for it) and counts tokens for /metrics.

using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Chat;
using Tessera.Server.Protocol;

namespace Tessera.Server;

public sealed partial class TesseraServer
{
    private async Task ChatCompletionsAsync(HttpContext context)
    {
        ChatCompletionRequest request;
        IReadOnlyList<ChatMessage> messages;
        ChatCompletionOptions options;
        try
        {
            request = await ReadRequestAsync(context, ServerJsonContext.Relaxed.ChatCompletionRequest).ConfigureAwait(false);
            messages = request.CheckedMessages();
            options = request.ToOptions(_model.Tokenizer.VocabularySize, _options.MaxReasoningTokens);
            options.Validate();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteErrorAsync(context, ErrorMapping.ToApiException(e, "messages")).ConfigureAwait(false);
            return;
        }
        await GenerateAsync(context, "messages", request.IsStreaming,
            async cancellationToken =>
            {
                var completion = await _model.CreateChatCompletionAsync(messages, options, cancellationToken).ConfigureAwait(false);
                _metrics.CountGeneration(completion.Usage, completion.Timings);
                return JsonSerializer.SerializeToUtf8Bytes(completion with { Model = ModelId }, ServerJsonContext.Relaxed.ChatCompletion);
            },
            cancellationToken => ChatEventsAsync(messages, options, request.IncludeUsage, cancellationToken)).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<byte[]> ChatEventsAsync(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions options, bool includeUsage,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var info = ServerJsonContext.Relaxed.ChatCompletionChunk;
        await foreach (var chunk in _model.CreateChatCompletionStreaming(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (chunk.Usage is not { } usage)
            {
                yield return JsonSerializer.SerializeToUtf8Bytes(chunk with { Model = ModelId }, info);
                continue;
            }
            if (chunk.Timings is { } timings) _metrics.CountGeneration(usage, timings);
            yield return JsonSerializer.SerializeToUtf8Bytes(chunk with { Model = ModelId, Usage = null }, info);
            if (includeUsage) yield return JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionChunk(chunk.Id, chunk.Created, ModelId, []) { Usage = usage }, info);
        }
    }
}
