// Finds GGUF files where Tessera, LM Studio, huggingface_hub, llama.cpp and Ollama keep them, names them, and picks
// gpt-oss-20b. Layouts (priority order) and the names given:
//   Tessera       TESSERA_MODELS/OWNER/REPO/FILE.gguf              OWNER/REPO:FILE.gguf (what tessera pull writes)
//   LM Studio     ~/.lmstudio/models/PUBLISHER/REPO/FILE.gguf      PUBLISHER/REPO:FILE.gguf
//   HF cache      HUB/models--OWNER--REPO/snapshots/COMMIT/FILE     OWNER/REPO:FILE (links into ../../blobs; refs/main names the newest)
//   llama.cpp     CACHE/OWNER_REPO_FILE.gguf                        the file name (ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf)
//   Ollama        OLLAMA_MODELS/manifests/HOST/NAMESPACE/MODEL/TAG  MODEL:TAG as `ollama list` shows it (NAMESPACE/MODEL:TAG
//                 outside "library", HOST/... outside registry.ollama.ai); the manifest's layer of media type
//                 application/vnd.ollama.image.model has digest sha256:HEX, the GGUF file OLLAMA_MODELS/blobs/sha256-HEX.

using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tessera.Hub;

/// <summary>Finds GGUF models on this machine.</summary>
public static partial class ModelDiscovery
{
    /// <summary>The model <c>tessera chat</c> looks for when no file is given: any GGUF whose name contains this.</summary>
    public const string GptOss20bName = "gpt-oss-20b";

    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        MatchCasing = MatchCasing.CaseInsensitive,
        MaxRecursionDepth = 8,
    };

    /// <summary>The folders searched, in priority order, with their source (those that do not exist included).</summary>
    public static IReadOnlyList<(ModelSource Source, string Folder)> Folders(HubEnvironment environment) =>
    [
        (ModelSource.Tessera, environment.TesseraModels),
        .. environment.LmStudioModels.Select(f => (ModelSource.LmStudio, f)),
        (ModelSource.HuggingFace, environment.HuggingFaceHubCache),
        (ModelSource.LlamaCpp, environment.LlamaCppCache),
        (ModelSource.Ollama, environment.OllamaModels),
    ];

    /// <summary>Every GGUF file in the known folders, in priority order (by source, then by path; in the Hugging Face
    /// cache the snapshot that refs/main names comes first). Files that do not start with the GGUF magic are skipped.</summary>
    public static IReadOnlyList<LocalModel> FindAll(HubEnvironment environment)
    {
        var found = new List<LocalModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, folder) in Folders(environment))
        {
            if (!Directory.Exists(folder)) continue;
            var files = source switch
            {
                ModelSource.HuggingFace => HuggingFaceFiles(folder),
                ModelSource.Ollama => OllamaFiles(folder),
                _ => Directory.EnumerateFiles(folder, "*.gguf", Walk).Order(StringComparer.Ordinal).Select(f => (f, NameIn(folder, f, source))),
            };
            foreach (var (path, name) in files)
                if (seen.Add(Path.GetFullPath(path)) && Inspect(path, source, name) is { } model) found.Add(model);
        }
        return found;
    }

    /// <summary>The models <paramref name="name"/> names, as <c>-m</c> reads it: a name <c>list</c> shows
    /// (<c>OWNER/REPO:FILE</c>, <c>MODEL:TAG</c>, a llama.cpp cache file name), <c>OWNER/REPO:QUANT</c> (a part of the file
    /// name, such as Q8_0), <c>OWNER/REPO</c>, an Ollama <c>MODEL</c> (tag latest), or a file name. Case does not matter.
    /// An exact name wins over a partial one; a later part of a split file never matches.</summary>
    public static IReadOnlyList<LocalModel> FindByName(HubEnvironment environment, string name)
    {
        var all = FindAll(environment).Where(m => !IsLaterSplitPart(m.FileName)).ToList();
        var exact = all.Where(m => Same(m.Name, name) || Same(m.FileName, name) || (m.Source == ModelSource.Ollama && Same(m.Name, name + ":latest"))).ToList();
        if (exact.Count > 0) return exact;
        var colon = name.LastIndexOf(':');
        var (repository, part) = colon < 0 ? (name, null) : (name[..colon], name[(colon + 1)..]);
        return all.Where(m => m.Repository is { } r && Same(r, repository)
                && (part is null || m.FileName.Contains(part, StringComparison.OrdinalIgnoreCase)))
            .ToList();

        static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The copies on this machine of the files of Hugging Face repository <paramref name="repository"/>
    /// (<c>OWNER/REPO</c>), with each file's name inside the repository: Tessera's, LM Studio's and the Hugging Face cache's
    /// by their folders, llama.cpp's cache by its <c>OWNER_REPO_FILE</c> names (how <c>llama-cli -hf</c> stores them).
    /// <paramref name="part"/> (a file name or a part of one, such as Q8_0) narrows them. Case does not matter.</summary>
    public static IReadOnlyList<(LocalModel Model, string File)> FindInRepository(HubEnvironment environment, string repository, string? part)
    {
        var prefix = repository.Replace('/', '_') + "_";
        var found = new List<(LocalModel, string)>();
        foreach (var m in FindAll(environment))
        {
            string? file = m.Repository is { } r ? (Same(r, repository) ? m.FileName : null)
                : m.Source == ModelSource.LlamaCpp && m.FileName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? m.FileName[prefix.Length..]
                : null;
            if (file is null || IsLaterSplitPart(file)) continue;
            if (part is null || file.Contains(part, StringComparison.OrdinalIgnoreCase)) found.Add((m, file));
        }
        return found;

        static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>gpt-oss-20b: the first file named like it in priority order, an MXFP4 one before others of the same
    /// source (the original quantisation; other quantisations may not load). Null when there is none.</summary>
    public static LocalModel? FindGptOss20b(HubEnvironment environment) =>
        FindAll(environment)
            .Where(m => m.Source == ModelSource.Ollama ? m.Name is "gpt-oss:20b" or "gpt-oss:latest" : IsGptOss20b(Path.GetFileName(m.Path)))
            .OrderBy(m => m.Source)
            .ThenBy(m => Path.GetFileName(m.Path).Contains("mxfp4", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .FirstOrDefault();

    /// <summary>Whether a file name looks like gpt-oss-20b (a later part of a split file does not).</summary>
    public static bool IsGptOss20b(string fileName) =>
        fileName.Contains(GptOss20bName, StringComparison.OrdinalIgnoreCase)
        && fileName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
        && !IsLaterSplitPart(fileName);

    // llama.cpp's split files are NAME-00001-of-00003.gguf...; a model is opened by its first part.
    internal static bool IsLaterSplitPart(string fileName) => SplitPart().Match(fileName) is { Success: true } m && m.Groups[1].Value != "00001";

    [GeneratedRegex(@"-(\d{5})-of-\d{5}\.gguf$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitPart();

    // OWNER/REPO:FILE for a file two folders (or more) down, as Tessera and LM Studio keep them; else the file name.
    private static string NameIn(string folder, string path, ModelSource source)
    {
        var parts = Path.GetRelativePath(folder, path).Split(Path.DirectorySeparatorChar);
        return source != ModelSource.LlamaCpp && parts.Length >= 3 ? $"{parts[0]}/{parts[1]}:{string.Join('/', parts[2..])}" : Path.GetFileName(path);
    }

    // models--OWNER--REPO/snapshots/COMMIT/**: the snapshot refs/main points at first, then the others by name.
    private static IEnumerable<(string Path, string Name)> HuggingFaceFiles(string hub)
    {
        foreach (var repo in Directory.EnumerateDirectories(hub, "models--*").Order(StringComparer.Ordinal))
        {
            var snapshots = Path.Combine(repo, "snapshots");
            if (!Directory.Exists(snapshots)) continue;
            var id = Path.GetFileName(repo)["models--".Length..].Replace("--", "/", StringComparison.Ordinal);
            var main = ReadRef(Path.Combine(repo, "refs", "main"));
            foreach (var snapshot in Directory.EnumerateDirectories(snapshots).OrderBy(s => Path.GetFileName(s) == main ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal))
                foreach (var file in Directory.EnumerateFiles(snapshot, "*.gguf", Walk).Order(StringComparer.Ordinal))
                    yield return (file, $"{id}:{Path.GetRelativePath(snapshot, file).Replace(Path.DirectorySeparatorChar, '/')}");
        }
    }

    // manifests/HOST/NAMESPACE/MODEL/TAG, each naming its model layer's blob; manifests that cannot be read are skipped.
    private static IEnumerable<(string Path, string Name)> OllamaFiles(string root)
    {
        var manifests = Path.Combine(root, "manifests");
        if (!Directory.Exists(manifests)) yield break;
        foreach (var manifest in Directory.EnumerateFiles(manifests, "*", Walk).Order(StringComparer.Ordinal))
        {
            var parts = Path.GetRelativePath(manifests, manifest).Split(Path.DirectorySeparatorChar);
            if (parts.Length != 4 || OllamaModelDigest(manifest) is not { } digest) continue;
            var (host, space, model, tag) = (parts[0], parts[1], parts[2], parts[3]);
            var name = host == "registry.ollama.ai" ? (space == "library" ? $"{model}:{tag}" : $"{space}/{model}:{tag}") : $"{host}/{space}/{model}:{tag}";
            yield return (Path.Combine(root, "blobs", "sha256-" + digest), name);
        }
    }

    // The hex digest of the manifest's layer of media type application/vnd.ollama.image.model, or null.
    private static string? OllamaModelDigest(string manifest)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(manifest));
            if (!json.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array) return null;
            foreach (var layer in layers.EnumerateArray())
                if (layer.ValueKind == JsonValueKind.Object
                    && layer.TryGetProperty("mediaType", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "application/vnd.ollama.image.model"
                    && layer.TryGetProperty("digest", out var digest) && digest.ValueKind == JsonValueKind.String
                    && digest.GetString() is { } d && d.StartsWith("sha256:", StringComparison.Ordinal) && d.Length == 71 && d[7..].All(char.IsAsciiHexDigit))
                    return d[7..];
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    private static string? ReadRef(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    // A GGUF file (links followed) with its size, or null for anything else: a broken link, an unreadable file, a
    // file that is not GGUF (a stray download, say).
    private static LocalModel? Inspect(string path, ModelSource source, string name)
    {
        try
        {
            Span<byte> magic = stackalloc byte[4];
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("GGUF"u8)) return null;
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return new LocalModel(path, target.Length, source, name);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
