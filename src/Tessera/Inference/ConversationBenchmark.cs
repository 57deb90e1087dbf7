// A scripted multi-turn conversation, the shape gpt-oss chats have: each turn a user message, then a reply of a few
// hundred tokens of reasoning and a short answer. The reply is scripted rather than generated, so every model (a
// synthetic one too) sees the same conversation: the benchmark asks for the first token (time to first token, prompt
// tokens evaluated and cached), then puts the scripted reply into the cache as though the model had generated it. The
// next prompt repeats the answer but not the reasoning (harmony drops it), so it diverges from the cache where the
// reasoning began, hundreds of tokens back; a cache that keeps everything up to the divergence evaluates only the new
// user message and the re-rendered answer.

using System.Diagnostics;
using System.Text;
using Tessera.Chat;

namespace Tessera.Inference;

/// <summary>Plays a scripted conversation on a model and measures each turn's prompt.</summary>
public static class ConversationBenchmark
{
    private static readonly string[] Words =
    [
        "the", "user", "asks", "about", "a", "river", "that", "crosses", "three", "countries", "and", "we", "should", "check",
        "its", "length", "before", "answering", "maybe", "compare", "with", "other", "rivers", "in", "Europe", "then", "give",
        "numbers", "carefully", "because", "sources", "differ", "on", "where", "it", "starts", "so", "mention", "uncertainty",
        "briefly", "also", "consider", "history", "trade", "cities", "along", "banks", "bridges", "floods", "climate",
    ];

    /// <summary>Plays <see cref="ConversationBenchmarkOptions.Turns"/> turns on <paramref name="model"/> (whose cache it
    /// uses from empty) and returns one measurement per turn; <paramref name="onTurn"/> sees each as it is done.</summary>
    /// <exception cref="ContextOverflowException">The conversation outgrows the model's context.</exception>
    public static IReadOnlyList<ConversationTurn> Run(TesseraModel model, ConversationBenchmarkOptions? options = null,
        Action<ConversationTurn>? onTurn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new();
        options.Validate();
        var rng = new Random(options.Seed);
        var chat = new ChatCompletionOptions { MaxTokens = 1, Sampling = SamplingOptions.Greedy, CurrentDate = new DateOnly(2026, 1, 1) };
        var messages = new List<ChatMessage> { ChatMessage.System("You are a helpful assistant. Think it through, then answer briefly.") };
        var results = new List<ConversationTurn>();
        int[] previous = [];   // the last prompt followed by its reply, as the cache holds them
        model.ResetCache();
        for (int turn = 1; turn <= options.Turns; turn++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            messages.Add(ChatMessage.User(Text(model, rng, options.UserTokens) + "?"));
            var prompt = model.Tokenize(model.RenderPrompt(messages, chat));
            int shared = 0;
            while (shared < previous.Length && shared < prompt.Length - 1 && previous[shared] == prompt[shared]) shared++;

            long start = Stopwatch.GetTimestamp();
            var first = model.CreateChatCompletion(messages, chat, cancellationToken);
            double ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            // The reply as the model would generate it; generation stops at <|return|> without evaluating it.
            string reasoning = Text(model, rng, options.ReasoningTokens), answer = Text(model, rng, options.AnswerTokens) + ".";
            var reply = model.Tokenize($"<|channel|>analysis<|message|>{reasoning}<|end|><|start|>assistant<|channel|>final<|message|>{answer}");
            double replyMs = model.ContinueCache(reply, cancellationToken);
            previous = [.. prompt, .. reply];
            messages.Add(ChatMessage.Assistant(answer, reasoning));

            var result = new ConversationTurn
            {
                Turn = turn,
                PromptTokens = first.Usage.PromptTokens,
                CachedTokens = first.Usage.PromptTokensDetails?.CachedTokens ?? 0,
                EvaluatedTokens = first.Timings.PromptEvalTokens,
                NewTokens = prompt.Length - shared,
                TimeToFirstTokenMs = ttft,
                PromptEvalMs = first.Timings.PromptEvalMs,
                ReplyTokens = reply.Length,
                ReplyEvalMs = replyMs,
            };
            results.Add(result);
            onTurn?.Invoke(result);
        }
        return results;
    }

    // About `tokens` tokens of plain words (cut at a word boundary once the count is reached).
    private static string Text(TesseraModel model, Random rng, int tokens)
    {
        if (tokens == 0) return "";
        var sb = new StringBuilder();
        while (true)
        {
            for (int i = 0; i < 8; i++) sb.Append(sb.Length == 0 ? "" : " ").Append(Words[rng.Next(Words.Length)]);
            var ids = model.Tokenize(sb.ToString(), parseSpecial: false);
            if (ids.Length >= tokens) return model.Detokenize(ids.AsSpan(0, tokens)).TrimEnd();
        }
    }
}
