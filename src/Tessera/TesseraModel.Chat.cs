// Chat completions: messages → harmony prompt → tokens → generation → streaming harmony parser → OpenAI-shaped
// chunks and result, reasoning apart from the answer and tool calls apart from both (the parser decides which is which).

using System.Text;
using Tessera.Chat;
using Tessera.Chat.Harmony;
using Tessera.Inference;

namespace Tessera;

public sealed partial class TesseraModel
{
    /// <summary>Generates the assistant's reply to <paramref name="messages"/>.</summary>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context.</exception>
    /// <exception cref="ArgumentException">The options are impossible.</exception>
    /// <exception cref="HarmonyRenderException">The messages cannot be rendered (e.g. harmony markup inside content).</exception>
    public ChatCompletion CreateChatCompletion(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions? options = null, CancellationToken cancellationToken = default) =>
        Exclusive(() => RunChat(messages, options ?? new(), null, cancellationToken), cancellationToken);

    /// <summary>As <see cref="CreateChatCompletion"/>, on a worker thread.</summary>
    public Task<ChatCompletion> CreateChatCompletionAsync(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => CreateChatCompletion(messages, options, cancellationToken), cancellationToken);

    /// <summary>Streams the reply as chunks: the first carries the role, the last the finish reason, usage and timings.
    /// Stopping the enumeration or cancelling stops generation.</summary>
    public IAsyncEnumerable<ChatCompletionChunk> CreateChatCompletionStreaming(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new();
        options.Validate();
        return StreamFromWorker<ChatCompletionChunk>((emit, token) => RunChat(messages, options, emit, token), cancellationToken);
    }

    /// <summary>The prompt the model sees for <paramref name="messages"/> (harmony format, ending in <c>&lt;|start|&gt;assistant</c>).</summary>
    public string RenderPrompt(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions? options = null) =>
        HarmonyRenderer.Render(messages, (options ?? new()).ToHarmonyOptions());

    /// <summary>Per token of the last constrained reply, microseconds spent in its constraint (bench hook).</summary>
    internal IReadOnlyList<double> LastConstraintMicroseconds => _generator.ConstraintMicroseconds;

    private ChatCompletion RunChat(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions options, Action<ChatCompletionChunk>? emit, CancellationToken cancellationToken)
    {
        options.Validate();
        var prompt = Tokenize(RenderPrompt(messages, options), parseSpecial: true);
        if (prompt.Length >= ContextSize) throw new ContextOverflowException(prompt.Length + 1, ContextSize);
        var id = NewId("chatcmpl-");
        var created = Now();
        ChatCompletionChunk Chunk(ChatCompletionDelta delta, string? finish = null) => new(id, created, Name, [new(0, delta, finish)]);
        emit?.Invoke(Chunk(new ChatCompletionDelta { Role = "assistant" }));

        var parser = new HarmonyParser();
        var events = new List<HarmonyEvent>();
        var accumulator = new HarmonyAccumulator();
        var content = new StringBuilder();
        var stops = options.Stop is { Count: > 0 } s ? new StopSequenceMatcher(s) : null;
        var stoppedByString = false;
        var generated = 0;
        HarmonyTurnEndReason? turnEnd = null;

        void Deliver()
        {
            foreach (var e in events)
            {
                accumulator.Add(e);
                switch (e.Kind)
                {
                    case HarmonyEventKind.ReasoningDelta when e.Text.Length > 0:
                        emit?.Invoke(Chunk(new ChatCompletionDelta { ReasoningContent = e.Text }));
                        break;
                    case HarmonyEventKind.ContentDelta when e.Text.Length > 0:
                        var visible = e.Text;
                        if (stops is not null)
                        {
                            visible = stops.Append(e.Text);
                            stoppedByString = stops.IsStopped;
                        }
                        content.Append(visible);
                        if (visible.Length > 0) emit?.Invoke(Chunk(new ChatCompletionDelta { Content = visible }));
                        break;
                    case HarmonyEventKind.ToolCallStart:
                        emit?.Invoke(Chunk(new ChatCompletionDelta { ToolCalls = [new ToolCallDelta(e.ToolCallIndex, e.ToolCallId, new FunctionCallDelta(e.ToolName, ""))] }));
                        break;
                    case HarmonyEventKind.ToolCallArgumentsDelta when e.Text.Length > 0:
                        emit?.Invoke(Chunk(new ChatCompletionDelta { ToolCalls = [new ToolCallDelta(e.ToolCallIndex, null, new FunctionCallDelta(null, e.Text))] }));
                        break;
                    case HarmonyEventKind.TurnEnd:
                        turnEnd = e.TurnEndReason;
                        break;
                }
                if (stoppedByString) break;
            }
            events.Clear();
        }

        try
        {
            var constraint = Constraints.StructuredOutput.Create(options, Constraints.TokenTrie.For(Tokenizer));
            foreach (var token in _generator.Generate(prompt, options.MaxTokens ?? int.MaxValue, options.Sampling, cancellationToken, constraint))
            {
                if (token.Id >= 0) generated++;
                parser.Push(token.Id, token.Text, events);
                Deliver();
                if (stoppedByString || turnEnd is not null) break;
            }
        }
        catch (OperationCanceledException)
        {
            Finish(_generator.Counters);   // LastTimings then describe the reply that was stopped
            throw;
        }
        if (!stoppedByString && turnEnd is null)
        {
            parser.Finish(events, HarmonyTurnEndReason.Length);
            Deliver();
        }
        if (!stoppedByString && stops?.Flush() is { Length: > 0 } held)
        {
            content.Append(held);
            emit?.Invoke(Chunk(new ChatCompletionDelta { Content = held }));
        }

        var parsed = accumulator.ToResult();
        var finish = stoppedByString ? "stop"
            : turnEnd == HarmonyTurnEndReason.Length ? "length"
            : parsed.ToolCalls.Count > 0 ? "tool_calls" : "stop";
        var message = new ChatMessage(ChatRole.Assistant, content.Length > 0 || parsed.ToolCalls.Count == 0 ? content.ToString() : null)
        {
            Reasoning = parsed.Reasoning.Length > 0 ? parsed.Reasoning : null,
            ToolCalls = parsed.ToolCalls.Count > 0 ? [.. parsed.ToolCalls.Select(c => ChatToolCall.Create(c.Id, c.Name, c.Arguments))] : null,
        };
        var usage = new CompletionUsage(prompt.Length, generated) { PromptTokensDetails = new(_generator.Counters.PromptCachedTokens) };
        var timings = Finish(_generator.Counters);
        emit?.Invoke(Chunk(new ChatCompletionDelta(), finish) with { Usage = usage, Timings = timings });
        return new ChatCompletion(id, created, Name, [new ChatCompletionChoice(0, message, finish)], usage, timings);
    }
}
