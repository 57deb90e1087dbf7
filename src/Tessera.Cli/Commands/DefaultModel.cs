// What a command uses when no -m is given: gpt-oss-20b from this machine's model folders (ModelDiscovery's order:
// Tessera, LM Studio, Hugging Face cache, llama.cpp cache), else ggml-org/gpt-oss-20b-GGUF downloaded into Tessera's.

using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class DefaultModel
{
    public static async Task<string> FindOrDownloadAsync(HubEnvironment hub, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (ModelDiscovery.FindGptOss20b(hub) is { } found)
        {
            stderr.WriteLine($"using {found.Path} ({found.SourceName})");
            return found.Path;
        }
        stderr.WriteLine($"{ModelDiscovery.GptOss20bName} is not in {string.Join(", ", ModelDiscovery.Folders(hub).Select(f => f.Folder))}; downloading {HubFileReference.GptOss20b} (about 12.1 GB)");
        var result = await DownloadView.DownloadAsync(hub, HubFileReference.GptOss20b, stderr, cancellationToken);
        return result.Path;
    }
}
