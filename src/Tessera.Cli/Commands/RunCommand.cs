// `tessera run -m FILE -p PROMPT`: one chat completion, streamed; the reasoning is shown dimmed and apart from the
// answer, tool calls are listed, then llama.cpp-style timings. `--chat` reads one user turn per line from stdin.

using System.CommandLine;
using Spectre.Console;
using Tessera.Chat;
using Tessera.Chat.Harmony;
using Tessera.Inference;

namespace Tessera.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var model = new ModelOptions();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "The user message" };
        var chat = new Option<bool>("--chat") { Description = "Multi-turn: read one user message per line from standard input" };
        var system = new Option<string?>("--system", "-s") { Description = "System message (instructions)" };
        var maxTokens = new Option<int?>("--max-tokens", "-n") { Description = "Most tokens to generate (default: until the context is full)" };
        var temperature = new Option<float>("--temp") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling threshold", DefaultValueFactory = _ => 1.0f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (same seed, same output)" };
        var effort = new Option<string>("--reasoning-effort") { Description = "low, medium or high", DefaultValueFactory = _ => "medium" };
        var hideReasoning = new Option<bool>("--hide-reasoning") { Description = "Do not print the reasoning" };
        var command = new Command("run", "Ask the model one question (or chat with --chat) and print the answer and timings")
        {
            prompt, chat, system, maxTokens, temperature, topP, topK, seed, effort, hideReasoning,
        };
        model.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            if (r.GetValue(prompt) is null && !r.GetValue(chat)) throw new CliException("give a prompt with -p, or --chat to read messages from standard input");
            var options = new ChatCompletionOptions
            {
                MaxTokens = r.GetValue(maxTokens),
                ReasoningEffort = ParseEffort(r.GetValue(effort)!),
                Sampling = new SamplingOptions { Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), TopK = r.GetValue(topK), Seed = r.GetValue(seed) },
            };
            options.Validate();
            using var m = model.Load(r);
            var console = Format.Console(stdout);
            var messages = new List<ChatMessage>();
            if (r.GetValue(system) is { } s) messages.Add(ChatMessage.System(s));
            var turns = r.GetValue(prompt) is { } p ? [p] : ReadLines(stdin);
            foreach (var turn in turns)
            {
                messages.Add(ChatMessage.User(turn));
                var reply = await Stream(m, messages, options, console, r.GetValue(hideReasoning), cancellationToken);
                messages.Add(reply);
            }
            stderr.WriteLine();
            stderr.WriteLine(m.LastTimings?.ToString());
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
            if (line.Trim().Length > 0) yield return line;
    }

    private static ReasoningEffort ParseEffort(string text) => text.ToLowerInvariant() switch
    {
        "low" => ReasoningEffort.Low,
        "medium" => ReasoningEffort.Medium,
        "high" => ReasoningEffort.High,
        _ => throw new CliException($"--reasoning-effort must be low, medium or high, not \"{text}\""),
    };

    /// <summary>Prints one reply as it streams: reasoning dimmed, then the answer, then tool calls. Returns the message.</summary>
    private static async Task<ChatMessage> Stream(TesseraModel model, IReadOnlyList<ChatMessage> messages, ChatCompletionOptions options, IAnsiConsole console, bool hideReasoning, CancellationToken cancellationToken)
    {
        string? section = null;
        var content = new System.Text.StringBuilder();
        var reasoning = new System.Text.StringBuilder();
        var calls = new SortedDictionary<int, (string Id, string Name, System.Text.StringBuilder Args)>();
        string finish = "stop";
        void Enter(string name, string title)
        {
            if (section == name) return;
            if (section is not null) console.WriteLine();
            console.MarkupLine(title);
            section = name;
        }
        await foreach (var chunk in model.CreateChatCompletionStreaming(messages, options, cancellationToken))
        {
            var delta = chunk.Choices[0].Delta;
            if (delta.ReasoningContent is { Length: > 0 } r)
            {
                reasoning.Append(r);
                if (!hideReasoning)
                {
                    Enter("reasoning", "[dim italic]reasoning[/]");
                    console.Markup($"[dim]{Markup.Escape(r)}[/]");
                }
            }
            if (delta.Content is { Length: > 0 } c)
            {
                content.Append(c);
                Enter("answer", "[bold]answer[/]");
                console.Write(c);
            }
            foreach (var t in delta.ToolCalls ?? [])
            {
                if (t.Id is not null) calls[t.Index] = (t.Id, t.Function.Name ?? "", new());
                else if (calls.TryGetValue(t.Index, out var call)) call.Args.Append(t.Function.Arguments);
            }
            if (chunk.Choices[0].FinishReason is { } f) finish = f;
        }
        foreach (var (_, call) in calls)
        {
            Enter("tools", "[bold]tool calls[/]");
            console.WriteLine($"{call.Name}({call.Args})");
        }
        console.WriteLine();
        if (finish == "length") console.MarkupLine("[yellow](stopped at the token limit)[/]");
        return new ChatMessage(ChatRole.Assistant, content.Length > 0 ? content.ToString() : null)
        {
            Reasoning = reasoning.Length > 0 ? reasoning.ToString() : null,
            ToolCalls = calls.Count > 0 ? [.. calls.Values.Select(v => ChatToolCall.Create(v.Id, v.Name, v.Args.ToString()))] : null,
        };
    }
}
