// Raw-prompt completions (OpenAI's legacy /v1/completions): the prompt is tokenized as is, special-token text
// included, and the generated text is returned without any harmony parsing.

using System.Text;
using Tessera.Inference;

namespace Tessera;

public sealed partial class TesseraModel
{
    /// <summary>Continues <paramref name="prompt"/>. Default <see cref="CompletionOptions.MaxTokens"/> is 16, as OpenAI's.</summary>
    public TextCompletion CreateCompletion(string prompt, CompletionOptions? options = null, CancellationToken cancellationToken = default) =>
        Exclusive(() => RunCompletion(prompt, options ?? new(), null, cancellationToken), cancellationToken);

    /// <summary>Streams the continuation of <paramref name="prompt"/> piece by piece; the last piece has the finish reason.</summary>
    public IAsyncEnumerable<TextCompletion> CreateCompletionStreaming(string prompt, CompletionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new();
        options.Validate();
        return StreamFromWorker<TextCompletion>((emit, token) => RunCompletion(prompt, options, emit, token), cancellationToken);
    }

    private TextCompletion RunCompletion(string prompt, CompletionOptions options, Action<TextCompletion>? emit, CancellationToken cancellationToken)
    {
        options.Validate();
        var ids = Tokenize(prompt, parseSpecial: true);
        if (ids.Length == 0) throw new ArgumentException("the prompt is empty");
        if (ids.Length >= ContextSize) throw new ContextOverflowException(ids.Length + 1, ContextSize);
        var id = NewId("cmpl-");
        var created = Now();
        var text = new StringBuilder();
        var stops = options.Stop is { Count: > 0 } s ? new StopSequenceMatcher(s) : null;
        var finish = "length";
        var generated = 0;
        void Emit(string piece, string? reason, CompletionUsage? usage = null, PerformanceCounters? timings = null) =>
            emit?.Invoke(new TextCompletion(id, created, Name, [new TextCompletionChoice(0, piece, reason!)], usage!, timings!));

        foreach (var token in _generator.Generate(ids, options.MaxTokens ?? 16, options.Sampling, cancellationToken))
        {
            if (token.Id >= 0) generated++;
            if (token.IsEndOfGeneration && token.Id >= 0)
            {
                finish = "stop";
                break;
            }
            var visible = token.Text;
            var stopped = false;
            if (stops is not null)
            {
                visible = stops.Append(token.Text);
                stopped = stops.IsStopped;
            }
            text.Append(visible);
            if (visible.Length > 0) Emit(visible, null);
            if (stopped)
            {
                finish = "stop";
                break;
            }
        }
        if (finish == "length" && stops?.Flush() is { Length: > 0 } held)
        {
            text.Append(held);
            Emit(held, null);
        }
        var usage = new CompletionUsage(ids.Length, generated) { PromptTokensDetails = new(_generator.Counters.PromptCachedTokens) };
        var timings = Finish(_generator.Counters);
        Emit("", finish, usage, timings);
        return new TextCompletion(id, created, Name, [new TextCompletionChoice(0, text.ToString(), finish)], usage, timings);
    }
}
