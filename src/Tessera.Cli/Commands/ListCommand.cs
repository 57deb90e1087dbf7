// `tessera list`: the GGUF files in the folders Tessera searches (its own, LM Studio's, the Hugging Face cache,
// llama.cpp's, Ollama's), in priority order, with the name -m takes, architecture, quantisation, size and source;
// * marks what chat, run and serve use when no -m is given.

using System.CommandLine;
using Tessera.Gguf;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class ListCommand
{
    public static Command Create(TextWriter stdout, HubEnvironment hub)
    {
        var command = new Command("list", "Show the GGUF models on this machine (Tessera, LM Studio, Hugging Face cache, llama.cpp cache, Ollama) and the names -m takes");
        command.SetAction(_ =>
        {
            var models = ModelDiscovery.FindAll(hub);
            var chosen = ModelDiscovery.FindGptOss20b(hub);
            if (models.Count == 0) stdout.WriteLine("no GGUF models found");
            else
            {
                var rows = models.Select(m => (Model: m, Kind: Describe(m.Path))).ToList();
                int name = Math.Max(4, rows.Max(x => x.Model.Name.Length));
                int arch = Math.Max(12, rows.Max(x => x.Kind.Architecture.Length));
                int quant = Math.Max(12, rows.Max(x => x.Kind.Quantisation.Length));
                stdout.WriteLine($"  {"NAME".PadRight(name)}  {"ARCHITECTURE".PadRight(arch)}  {"QUANTISATION".PadRight(quant)}  {"SIZE",10}  {"SOURCE",-18}  PATH");
                foreach (var (m, kind) in rows)
                    stdout.WriteLine($"{(m == chosen ? "*" : " ")} {m.Name.PadRight(name)}  {kind.Architecture.PadRight(arch)}  {kind.Quantisation.PadRight(quant)}  {Format.Bytes(m.Size),10}  {m.SourceName,-18}  {m.Path}");
                stdout.WriteLine(chosen is null
                    ? "-m takes a NAME as well as a path"
                    : "* is what chat, run and serve use without -m; -m takes a NAME as well as a path");
            }
            stdout.WriteLine();
            stdout.WriteLine("searched, in this order:");
            foreach (var (_, folder) in ModelDiscovery.Folders(hub))
                stdout.WriteLine($"  {folder}{(Directory.Exists(folder) ? "" : " (absent)")}");
            return 0;
        });
        return command;
    }

    // general.architecture and the quantisation from the file's header; "unreadable" for a file whose header is broken.
    private static (string Architecture, string Quantisation) Describe(string path)
    {
        try
        {
            using var file = GgufFile.Open(path);
            return (file[GgufKeys.Architecture]?.Raw as string ?? "unknown", GgufFileType.Of(file));
        }
        catch (Exception e) when (e is GgufFormatException or IOException or UnauthorizedAccessException)
        {
            return ("unreadable", "unreadable");
        }
    }
}
