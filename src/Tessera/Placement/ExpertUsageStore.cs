// Router counts kept between runs, one file per model in the placement cache folder, so that the planner can hold the
// experts a model's router picks most in VRAM. A model is known by its file size and a hash of its header and tensor
// table (a few MB, not the 12 GB of weights): a re-download of the same file keeps its counts, another file does not.

using System.Security.Cryptography;
using System.Text.Json;
using Tessera.Gguf;

namespace Tessera.Placement;

/// <summary>Loads and saves <see cref="ExpertUsage"/> per model file.</summary>
public static class ExpertUsageStore
{
    /// <summary>The key of an open model file: its size and the first 16 hex digits of the SHA-256 of its header.</summary>
    public static string ModelKey(GgufFile file) =>
        $"{file.FileSize}-{Convert.ToHexStringLower(SHA256.HashData(file.GetHeaderBytes()))[..16]}";

    /// <summary>The counts file of the model with key <paramref name="modelKey"/> in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, string modelKey) => Path.Combine(directory, $"expert-usage-{modelKey}.json");

    /// <summary>The counts saved at <paramref name="path"/> when they are of this shape; else null (none, another shape,
    /// or an unreadable file, which the next save replaces).</summary>
    public static ExpertUsage? Load(string path, int layers, int experts)
    {
        try
        {
            var file = PlacementCache.ReadJson(path, PlacementJsonContext.Default.ExpertUsageFile);
            if (file is null || file.Layers != layers || file.Experts != experts || file.Counts.Length != layers) return null;
            return ExpertUsage.FromCounts(file.Counts);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="usage"/> to <paramref name="path"/> (the whole file at once).</summary>
    public static void Save(string path, ExpertUsage usage, string modelName, long fileSize) =>
        PlacementCache.WriteJson(path, new ExpertUsageFile(modelName, fileSize, usage.Layers, usage.Experts, usage.ToArray()),
            PlacementJsonContext.Default.ExpertUsageFile);
}
