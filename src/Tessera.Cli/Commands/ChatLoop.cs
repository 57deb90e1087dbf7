// The interactive chat of `tessera chat`: read a line, answer it with the whole conversation so far, repeat.
// Lines starting with / are commands (/reset, /effort, /stats, /help, /exit). Ctrl+C (Interrupt) stops the answer being
// written, not the program; at the prompt a first Ctrl+C says how to quit and a second one quits.

using Spectre.Console;
using Tessera.Chat;
using Tessera.Inference;

namespace Tessera.Cli.Commands;

internal sealed class ChatLoop(TesseraModel model, ChatCompletionOptions options, string? system, bool hideReasoning, TextReader input, IAnsiConsole console, bool echo)
{
    private const string Prompt = "[bold green]> [/]";
    private const string Help = """
        /effort low|medium|high   how long the model thinks before answering
        /stats                    timings of the last reply (llama.cpp style)
        /reset                    start a new conversation
        /exit                     quit (also /quit, Ctrl+D, or Ctrl+C twice at the prompt)
        Ctrl+C while the model answers stops the answer.
        """;

    private readonly ReplyPrinter _printer = new(console, hideReasoning);
    private readonly Lock _lock = new();
    private CancellationTokenSource? _answer;
    private bool _interruptedAtPrompt;

    /// <summary>Options of the next request (/effort changes them).</summary>
    public ChatCompletionOptions Options { get; private set; } = options;

    /// <summary>The conversation so far, without the system message.</summary>
    public List<ChatMessage> Messages { get; } = [];

    /// <summary>Timings of the last reply that finished.</summary>
    public PerformanceCounters? LastTimings { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The device names the threads where the CPU works (cpu, 8 threads, avx2; or cuda + cpu for a split model).
        var device = model.BackendName is { } backend ? $"device: {backend}; " : "";
        console.MarkupLine($"[dim]chatting with {Markup.Escape($"{model.Name} ({device}context {model.ContextSize} tokens)")}, reasoning effort {Effort}; /help lists the commands, Ctrl+C stops an answer, /exit quits[/]");
        if (model.PlacementSummary is { } placement) console.MarkupLine($"[dim]{Markup.Escape(placement)}[/]");
        while (!cancellationToken.IsCancellationRequested)
        {
            console.Markup(Prompt);
            var line = input.ReadLine();
            if (line is null)
            {
                console.WriteLine();
                return;
            }
            if (echo) console.WriteLine(line);
            lock (_lock) _interruptedAtPrompt = false;
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!Command(line)) return;
                continue;
            }
            await AnswerAsync(line, cancellationToken);
        }
    }

    /// <summary>Ctrl+C: stops the answer being written; at the prompt the first press explains, the second quits.
    /// Returns false when the program should end.</summary>
    public bool Interrupt()
    {
        lock (_lock)
        {
            if (_answer is { } answer)
            {
                answer.Cancel();
                return true;
            }
            if (_interruptedAtPrompt) return false;
            _interruptedAtPrompt = true;
        }
        console.WriteLine();
        console.MarkupLine("[dim](Ctrl+C again, /exit or Ctrl+D quits)[/]");
        console.Markup(Prompt);
        return true;
    }

    private string Effort => Options.ReasoningEffort.ToString().ToLowerInvariant();

    private async Task AnswerAsync(string text, CancellationToken cancellationToken)
    {
        Messages.Add(ChatMessage.User(text));
        FitContext();
        using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_lock) _answer = answer;
        try
        {
            var reply = await _printer.PrintAsync(model, system is null ? Messages : [ChatMessage.System(system), .. Messages], Options, answer.Token);
            // A stopped reply has no closing chunk: its timings so far are the model's last ones.
            if (reply.Timings is { } timings) LastTimings = timings;
            else if (reply.Stopped) LastTimings = model.LastTimings;
            // An answer stopped before it said anything leaves its question out of the conversation.
            if (reply.Stopped && reply.Message.Content is null && reply.Message.ToolCalls is null) Messages.RemoveAt(Messages.Count - 1);
            else Messages.Add(reply.Message);
        }
        catch (ContextOverflowException e)
        {
            Messages.RemoveAt(Messages.Count - 1);
            console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]; /reset starts a new conversation");
        }
        finally
        {
            lock (_lock) _answer = null;
        }
    }

    /// <summary>Room a reply needs: a quarter of the context, at most 1,024 tokens.</summary>
    private int AnswerRoom => Math.Min(1024, model.ContextSize / 4);

    // When the conversation has outgrown the context, leaves out its oldest turns (a user message and the replies to it),
    // never the system message nor the question just asked, until the prompt leaves room for an answer, and says so.
    private void FitContext()
    {
        int dropped = 0;
        while (Messages.Count > 1 && PromptTokens() > model.ContextSize - AnswerRoom)
        {
            int end = 1;
            while (end < Messages.Count - 1 && Messages[end].Role != ChatRole.User) end++;
            Messages.RemoveRange(0, end);
            dropped += end;
        }
        if (dropped > 0)
            Note($"the conversation outgrew the context of {model.ContextSize} tokens: its oldest {dropped} message{(dropped == 1 ? " was" : "s were")} left out; -c sets a larger context");
    }

    private int PromptTokens() =>
        model.Tokenize(model.RenderPrompt(system is null ? Messages : [ChatMessage.System(system), .. Messages], Options)).Length;

    // Returns false for /exit.
    private bool Command(string line)
    {
        var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (parts[0].ToLowerInvariant())
        {
            case "/exit" or "/quit" or "/bye":
                return false;
            case "/reset" or "/clear":
                Messages.Clear();
                LastTimings = null;   // /stats describes this conversation's replies
                Note("new conversation");
                break;
            case "/effort" when parts.Length == 1:
                Note($"reasoning effort: {Effort} (/effort low|medium|high changes it)");
                break;
            case "/effort":
                try
                {
                    Options = Options with { ReasoningEffort = GenerationOptions.ParseEffort(parts[1], "/effort") };
                    Note($"reasoning effort: {Effort}");
                }
                catch (CliException e) { Note(e.Message); }
                break;
            case "/stats":
                console.WriteLine(LastTimings?.ToString() ?? "(no finished reply yet)");
                break;
            case "/help" or "/?":
                console.WriteLine(Help);
                break;
            default:
                Note($"unknown command {parts[0]}; /help lists them");
                break;
        }
        return true;
    }

    private void Note(string text) => console.MarkupLine($"[dim]({Markup.Escape(text)})[/]");
}
