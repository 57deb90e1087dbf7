// What a command uses when no -m is given: gpt-oss-20b from this machine's model folders (ModelDiscovery's order:
// Tessera, LM Studio, Hugging Face cache, llama.cpp cache, Ollama), else ggml-org/gpt-oss-20b-GGUF downloaded into
// Tessera's. A download that cannot reach the server ends with what to do instead.

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
        stderr.WriteLine($"{ModelDiscovery.GptOss20bName} is not in {string.Join(", ", ModelDiscovery.Folders(hub).Select(f => f.Folder))}; "
            + $"fetching it from {hub.Endpoint.Host} (about 12.1 GB, once)");
        using var view = new DownloadView(hub, stderr);
        try { return (await view.DownloadAsync(HubFileReference.GptOss20b, cancellationToken)).Path; }
        catch (HubDownloadException e) when (e.ServerUnreachable)
        {
            throw new CliException($"{e.Message}\n{ModelReference.OfflineHint(hub, pulling: false)}");
        }
    }
}
