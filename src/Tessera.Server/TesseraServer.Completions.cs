// `POST /v1/completions`, OpenAI's legacy raw-prompt endpoint: the prompt goes to the model as is (harmony markup
// included), the text comes back unparsed. Usage is handled as for chat: its own chunk when asked for.

using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Protocol;

namespace Tessera.Server;

public sealed partial class TesseraServer
{
    private async Task CompletionsAsync(HttpContext context)
    {
        TextCompletionRequest request;
        string prompt;
        CompletionOptions options;
        try
        {
            request = await ReadRequestAsync(context, ServerJsonContext.Relaxed.TextCompletionRequest).ConfigureAwait(false);
            prompt = request.CheckedPrompt();
            options = request.ToOptions(_model.Tokenizer.VocabularySize, _options.Defaults);
            options.Validate();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteErrorAsync(context, ErrorMapping.ToApiException(e, "prompt")).ConfigureAwait(false);
            return;
        }
        await GenerateAsync(context, "prompt", request.IsStreaming,
            async cancellationToken =>
            {
                var completion = await Task.Run(() => _model.CreateCompletion(prompt, options, cancellationToken), cancellationToken).ConfigureAwait(false);
                _metrics.CountGeneration(completion.Usage, completion.Timings);
                return JsonSerializer.SerializeToUtf8Bytes(completion with { Model = ModelId }, ServerJsonContext.Relaxed.TextCompletion);
            },
            cancellationToken => CompletionEventsAsync(prompt, options, request.IncludeUsage, cancellationToken)).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<byte[]> CompletionEventsAsync(string prompt, CompletionOptions options, bool includeUsage,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var info = ServerJsonContext.Relaxed.TextCompletion;
        await foreach (var piece in _model.CreateCompletionStreaming(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            // The library leaves usage and timings null on every piece but the last.
            if ((CompletionUsage?)piece.Usage is not { } usage)
            {
                yield return JsonSerializer.SerializeToUtf8Bytes(piece with { Model = ModelId }, info);
                continue;
            }
            _metrics.CountGeneration(usage, piece.Timings);
            yield return JsonSerializer.SerializeToUtf8Bytes(piece with { Model = ModelId, Usage = null! }, info);
            if (includeUsage) yield return JsonSerializer.SerializeToUtf8Bytes(new TextCompletion(piece.Id, piece.Created, ModelId, [], usage, null!), info);
        }
    }
}
