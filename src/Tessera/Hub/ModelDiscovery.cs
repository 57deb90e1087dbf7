// Finds GGUF files where Tessera, LM Studio, huggingface_hub and llama.cpp keep them, and picks gpt-oss-20b.
// Layouts (priority order):
//   Tessera       TESSERA_MODELS/OWNER/REPO/FILE.gguf              (what tessera pull writes)
//   LM Studio     ~/.lmstudio/models/PUBLISHER/REPO/FILE.gguf      (lmstudio-community/gpt-oss-20b-GGUF/gpt-oss-20b-MXFP4.gguf)
//   HF cache      HUB/models--OWNER--REPO/snapshots/COMMIT/FILE     (links into ../../blobs; refs/main names the newest)
//   llama.cpp     CACHE/OWNER_REPO_FILE.gguf                        (ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf)

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
            var files = source == ModelSource.HuggingFace ? HuggingFaceFiles(folder) : Directory.EnumerateFiles(folder, "*.gguf", Walk).Order(StringComparer.Ordinal);
            foreach (var path in files)
                if (seen.Add(Path.GetFullPath(path)) && Inspect(path, source) is { } model) found.Add(model);
        }
        return found;
    }

    /// <summary>gpt-oss-20b: the first file named like it in priority order, an MXFP4 one before others of the same
    /// source (the original quantisation; other quantisations may not load). Null when there is none.</summary>
    public static LocalModel? FindGptOss20b(HubEnvironment environment) =>
        FindAll(environment)
            .Where(m => IsGptOss20b(Path.GetFileName(m.Path)))
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

    // models--OWNER--REPO/snapshots/COMMIT/**: the snapshot refs/main points at first, then the others by name.
    private static IEnumerable<string> HuggingFaceFiles(string hub)
    {
        foreach (var repo in Directory.EnumerateDirectories(hub, "models--*").Order(StringComparer.Ordinal))
        {
            var snapshots = Path.Combine(repo, "snapshots");
            if (!Directory.Exists(snapshots)) continue;
            var main = ReadRef(Path.Combine(repo, "refs", "main"));
            foreach (var snapshot in Directory.EnumerateDirectories(snapshots).OrderBy(s => Path.GetFileName(s) == main ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal))
                foreach (var file in Directory.EnumerateFiles(snapshot, "*.gguf", Walk).Order(StringComparer.Ordinal))
                    yield return file;
        }
    }

    private static string? ReadRef(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    // A GGUF file (links followed) with its size, or null for anything else: a broken link, an unreadable file, a
    // file that is not GGUF (a stray download, say).
    private static LocalModel? Inspect(string path, ModelSource source)
    {
        try
        {
            Span<byte> magic = stackalloc byte[4];
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("GGUF"u8)) return null;
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return new LocalModel(path, target.Length, source);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
