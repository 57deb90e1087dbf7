// `tessera run [-m FILE] -p PROMPT`: one chat completion, streamed by ReplyPrinter (reasoning dimmed and apart from
// the answer, tool calls listed), then llama.cpp-style timings; stderr says first what the model runs on (`device: cpu, 8 threads, avx2`). `--chat` reads one user turn per line from stdin.
// Without -m: gpt-oss-20b, found on this machine or downloaded.

using System.CommandLine;
using Tessera.Chat;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TextReader stdin, HubEnvironment hub)
    {
        var model = ModelOptions.FindingGptOss20b(hub);
        var generation = new GenerationOptions();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "The user message" };
        var chat = new Option<bool>("--chat") { Description = "Multi-turn: read one user message per line from standard input" };
        var command = new Command("run", "Ask the model one question (or chat with --chat) and print the answer and timings") { prompt, chat };
        generation.AddTo(command);
        model.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            if (r.GetValue(prompt) is null && !r.GetValue(chat)) throw new CliException("give a prompt with -p, or --chat to read messages from standard input");
            var options = generation.Build(r);
            using var m = await model.LoadAsync(r, stderr, cancellationToken);
            ModelOptions.WriteDevice(m, stderr);
            // Only the answer (and tool calls) on stdout; headings, reasoning and notices on stderr, so the output pipes.
            var printer = new ReplyPrinter(Format.Console(stdout), r.GetValue(generation.HideReasoning), Format.Console(stderr));
            var messages = new List<ChatMessage>();
            if (r.GetValue(generation.System) is { } s) messages.Add(ChatMessage.System(s));
            var turns = r.GetValue(prompt) is { } p ? [p] : ReadLines(stdin);
            foreach (var turn in turns)
            {
                messages.Add(ChatMessage.User(turn));
                var reply = await printer.PrintAsync(m, messages, options, cancellationToken);
                if (reply.Stopped) throw new OperationCanceledException(cancellationToken);
                messages.Add(reply.Message);
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
}
