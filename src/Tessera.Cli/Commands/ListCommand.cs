// `tessera list`: the GGUF files in the folders Tessera searches (its own, LM Studio's, the Hugging Face cache,
// llama.cpp's), in priority order, with size and source; * marks what chat and run use when no -m is given.

using System.CommandLine;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class ListCommand
{
    public static Command Create(TextWriter stdout, HubEnvironment hub)
    {
        var command = new Command("list", "Show the GGUF models on this machine (Tessera, LM Studio, Hugging Face cache, llama.cpp cache)");
        command.SetAction(_ =>
        {
            var models = ModelDiscovery.FindAll(hub);
            var chosen = ModelDiscovery.FindGptOss20b(hub);
            if (models.Count == 0) stdout.WriteLine("no GGUF models found");
            foreach (var m in models)
                stdout.WriteLine($"{(m == chosen ? "*" : " ")} {Format.Bytes(m.Size),10}  {m.SourceName,-18}  {m.Path}");
            if (chosen is not null) stdout.WriteLine("* is what chat and run use without -m");
            stdout.WriteLine();
            stdout.WriteLine("searched, in this order:");
            foreach (var (_, folder) in ModelDiscovery.Folders(hub))
                stdout.WriteLine($"  {folder}{(Directory.Exists(folder) ? "" : " (absent)")}");
            return 0;
        });
        return command;
    }
}
