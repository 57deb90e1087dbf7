// What -m, -hf and no model at all mean on the commands that load a model, as llama.cpp and Ollama users expect:
//   -m PATH               that file
//   -m NAME               a model `tessera list` shows: OWNER/REPO:FILE, OWNER/REPO:QUANT (Q8_0, mxfp4), OWNER/REPO,
//                         an Ollama MODEL:TAG (or MODEL, tag latest), or a file name; nothing is downloaded
//   -hf REPO[:QUANT]      llama.cpp's flag: the file of that Hugging Face repository, from this machine's folders when it is
//                         there, else resolved and downloaded as `tessera pull` does
//   neither               gpt-oss-20b found or downloaded (DefaultModel), on the commands that allow it
// A download that cannot reach the server ends with a line that says what to do instead.

using Tessera.Hub;

namespace Tessera.Cli.Commands;

/// <summary>A model file to load, and the name to report it by when its file name says nothing (an Ollama blob).</summary>
internal sealed record ResolvedModel(string Path, string? Alias = null);

internal static class ModelReference
{
    /// <summary>Resolves -m or -hf; with neither, gpt-oss-20b when <paramref name="findDefault"/>, else an error.</summary>
    public static async Task<ResolvedModel> ResolveAsync(string? model, string? hf, HubEnvironment hub, TextWriter stderr, bool findDefault, CancellationToken cancellationToken)
    {
        if (model is not null && hf is not null) throw new CliException("give -m or -hf, not both");
        if (model is not null) return Local(model, hub, stderr);
        if (hf is not null) return new(await HuggingFaceAsync(hf, hub, stderr, cancellationToken));
        if (!findDefault) throw new CliException("give a model with -m FILE (or a name tessera list shows), or -hf OWNER/REPO[:QUANT] to download one");
        return new(await DefaultModel.FindOrDownloadAsync(hub, stderr, cancellationToken));
    }

    /// <summary>-m: a path that exists, else a name of a model on this machine.</summary>
    public static ResolvedModel Local(string model, HubEnvironment hub, TextWriter stderr)
    {
        if (File.Exists(model) || Directory.Exists(model) || model.Length == 0) return new(model);
        var matches = ModelDiscovery.FindByName(hub, model);
        if (matches.Count > 0 && matches.All(m => string.Equals(m.FileName, matches[0].FileName, StringComparison.OrdinalIgnoreCase)))
        {
            var found = matches[0];   // the same file in several folders: the first in priority order
            stderr.WriteLine($"using {found.Path} ({found.Name}, {found.SourceName})");
            return new(found.Path, found.Source == ModelSource.Ollama ? found.Name : null);
        }
        if (matches.Count > 1)
            throw new CliException($"\"{model}\" names {matches.Count} models: {string.Join(", ", matches.Select(m => m.Name))}; give one of these names, or a path");
        if (model.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || (model.Contains(Path.DirectorySeparatorChar) && !model.Contains(':')))
            throw new CliException($"file not found: {model} (tessera list shows the models on this machine and their names)");
        throw new CliException($"no file and no model named \"{model}\" on this machine: tessera list shows the names -m takes "
            + "(OWNER/REPO:FILE, OWNER/REPO:QUANT, an Ollama MODEL:TAG); -hf OWNER/REPO[:QUANT] downloads from Hugging Face");
    }

    /// <summary>Throws unless <paramref name="path"/> is a file: a directory, or nothing there, said in words.</summary>
    public static string RequireFile(string path) =>
        Directory.Exists(path) ? throw new CliException($"{path} is a directory, not a model file: give the path of a .gguf file (tessera list shows the ones found)")
        : File.Exists(path) ? path
        : throw new CliException($"file not found: {path}");

    /// <summary>OWNER/REPO[:FILE-OR-QUANT] split at the colon; an empty part after it counts as none.</summary>
    public static (string Repository, string? Name) SplitRepository(string text)
    {
        var colon = text.IndexOf(':');
        var (repository, name) = colon < 0 ? (text, null) : (text[..colon], text[(colon + 1)..]);
        try { HubFileReference.ValidateRepository(repository); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        return (repository, string.IsNullOrEmpty(name) ? null : name);
    }

    // -hf: this machine's copy when there is exactly one file that fits (in any tool's folder, llama.cpp's cache
    // included), else resolved on the Hub and downloaded.
    private static async Task<string> HuggingFaceAsync(string text, HubEnvironment hub, TextWriter stderr, CancellationToken cancellationToken)
    {
        var (repository, name) = SplitRepository(text);
        var local = ModelDiscovery.FindInRepository(hub, repository, name);
        if (local.Count > 0 && local.All(m => string.Equals(m.File, local[0].File, StringComparison.OrdinalIgnoreCase)))
        {
            var m = local[0].Model;
            stderr.WriteLine($"using {m.Path} ({m.Name}, {m.SourceName})");
            return m.Path;
        }
        using var view = new DownloadView(hub, stderr);
        try
        {
            var file = await view.Downloader.ResolveAsync(repository, name, cancellationToken);
            return (await view.DownloadAsync(file, cancellationToken)).Path;
        }
        catch (HubDownloadException e) when (e.ServerUnreachable)
        {
            throw new CliException($"{e.Message}\n{OfflineHint(hub, pulling: false)}");
        }
    }

    /// <summary>The last line after a download that could not reach the server: what to do instead.</summary>
    public static string OfflineHint(HubEnvironment hub, bool pulling)
    {
        var endpoint = hub.Variable("TESSERA_HF_ENDPOINT") is not null ? "TESSERA_HF_ENDPOINT" : "HF_ENDPOINT";
        return pulling
            ? $"what to do: check the network and run it again, or set {endpoint} to a Hugging Face mirror you can reach; "
              + "a model already on this machine works offline with -m FILE (tessera list shows them)"
            : $"what to do: give a model file with -m FILE (tessera list shows the ones on this machine), download one with tessera pull "
              + $"when online, or set {endpoint} to a Hugging Face mirror you can reach; to try Tessera without a download: "
              + "tessera make-test-model -o demo.gguf, then tessera chat -m demo.gguf (random weights: the words are nonsense)";
    }
}
