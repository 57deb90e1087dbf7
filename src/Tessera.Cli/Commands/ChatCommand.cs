// `tessera chat [-m FILE]`: an interactive, multi-turn chat in the terminal (ChatLoop). Without -m it uses
// gpt-oss-20b from this machine's model folders, or downloads it.

using System.CommandLine;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class ChatCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TextReader stdin, HubEnvironment hub)
    {
        var model = ModelOptions.FindingGptOss20b(hub);
        var generation = new GenerationOptions();
        var command = new Command("chat", "Chat with the model in the terminal (without -m: gpt-oss-20b, found on this machine or downloaded)");
        model.AddTo(command);
        generation.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            var options = generation.Build(r);
            using var m = await model.LoadAsync(r, stderr, cancellationToken);
            var terminal = ReferenceEquals(stdin, Console.In) && !Console.IsInputRedirected;
            // Typed lines are on the screen already; piped ones are echoed so the transcript reads as a conversation.
            var loop = new ChatLoop(m, options, r.GetValue(generation.System), r.GetValue(generation.HideReasoning), stdin, Format.Console(stdout), echo: !terminal);
            ConsoleCancelEventHandler onCancel = (_, e) => e.Cancel = loop.Interrupt();
            if (ReferenceEquals(stdin, Console.In)) Console.CancelKeyPress += onCancel;
            try { await loop.RunAsync(cancellationToken); }
            finally { Console.CancelKeyPress -= onCancel; }
            return 0;
        });
        return command;
    }
}
