// Prints one chat reply as it streams, for `run` and `chat`: the reasoning dimmed under its own heading (or, hidden,
// one line "thought for N tokens", with a live counter while the model thinks in a terminal), then the answer, then
// any tool calls. Cancelling stops the reply where it is and returns what was said so far. `run` gives a second console
// for everything but the answer and the tool calls (headings, reasoning, notices: stderr), so its stdout pipes.

using System.Text;
using Spectre.Console;
using Tessera.Chat;

namespace Tessera.Cli.Commands;

internal sealed class ReplyPrinter(IAnsiConsole console, bool hideReasoning, IAnsiConsole? side = null)
{
    private readonly IAnsiConsole _side = side ?? console;

    /// <summary>What the model said, why it stopped, its timings (null when stopped early), and whether it was cancelled.</summary>
    public sealed record Reply(ChatMessage Message, string FinishReason, PerformanceCounters? Timings, bool Stopped);

    public async Task<Reply> PrintAsync(TesseraModel model, IReadOnlyList<ChatMessage> messages, ChatCompletionOptions options, CancellationToken cancellationToken)
    {
        string? section = null;
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        var reasoningPieces = 0;   // one streamed piece per generated token
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
        var finish = "stop";
        PerformanceCounters? timings = null;
        var stopped = false;

        void Enter(string name, string title)
        {
            if (section == name) return;
            if (section is not null) (section == "answer" || section == "tools" ? console : _side).WriteLine();
            _side.MarkupLine(title);
            section = name;
        }
        var summarised = false;
        void Summarise()   // once, when the hidden reasoning gives way to what is shown
        {
            if (!hideReasoning || reasoningPieces == 0 || summarised) return;
            summarised = true;
            _side.MarkupLine($"[dim italic]thought for {reasoningPieces} token{(reasoningPieces == 1 ? "" : "s")}[/]");
        }
        void Print(ChatCompletionChunk chunk)
        {
            var choice = chunk.Choices[0];
            var delta = choice.Delta;
            if (delta.ReasoningContent is { Length: > 0 } r)
            {
                reasoning.Append(r);
                reasoningPieces++;
                if (!hideReasoning)
                {
                    Enter("reasoning", "[dim italic]reasoning[/]");
                    _side.Markup($"[dim]{Markup.Escape(r)}[/]");
                }
            }
            if (delta.Content is { Length: > 0 } c)
            {
                Summarise();
                content.Append(c);
                Enter("answer", "[bold]answer[/]");
                console.Write(c);
            }
            foreach (var t in delta.ToolCalls ?? [])
            {
                if (t.Id is not null) calls[t.Index] = (t.Id, t.Function.Name ?? "", new());
                else if (calls.TryGetValue(t.Index, out var call)) call.Args.Append(t.Function.Arguments);
            }
            if (choice.FinishReason is { } f) finish = f;
            if (chunk.Timings is { } timing) timings = timing;
        }
        static bool Silent(ChatCompletionChunk chunk) =>   // nothing to show while the reasoning is hidden
            chunk.Choices[0] is { FinishReason: null, Delta: { Content: null or "", ToolCalls: null or [] } };

        await using var stream = model.CreateChatCompletionStreaming(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            // Hidden reasoning in a terminal: a live counter until the first visible piece, then the summary line.
            if (hideReasoning && _side.Profile.Capabilities.Interactive)
            {
                var first = await _side.Status().StartAsync("thinking", async status =>
                {
                    while (await stream.MoveNextAsync())
                    {
                        if (!Silent(stream.Current)) return stream.Current;
                        Print(stream.Current);
                        if (reasoningPieces > 0) status.Status($"thinking… {reasoningPieces} tokens");
                    }
                    return null;
                });
                if (first is not null) Print(first);
            }
            while (await stream.MoveNextAsync()) Print(stream.Current);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopped = true;
        }
        Summarise();
        foreach (var (_, call) in calls)
        {
            Enter("tools", "[bold]tool calls[/]");
            console.WriteLine($"{call.Name}({call.Args})");
        }
        console.WriteLine();
        if (stopped) _side.MarkupLine("[yellow](stopped)[/]");
        else if (finish == "length" && content.Length == 0 && calls.Count == 0 && reasoningPieces == 0)
            _side.MarkupLine("[yellow](nothing was generated: the token limit is 0)[/]");
        else if (finish == "length") _side.MarkupLine("[yellow](stopped at the token limit)[/]");
        var message = new ChatMessage(ChatRole.Assistant, content.Length > 0 ? content.ToString() : null)
        {
            Reasoning = reasoning.Length > 0 ? reasoning.ToString() : null,
            ToolCalls = calls.Count > 0 ? [.. calls.Values.Select(v => ChatToolCall.Create(v.Id, v.Name, v.Args.ToString()))] : null,
        };
        return new Reply(message, stopped ? "stopped" : finish, stopped ? null : timings, stopped);
    }
}
