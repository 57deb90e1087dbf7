// The folder where the planner keeps what it learns (the CPU's bandwidth, each model's router counts), and small JSON
// files in it written whole or not at all (a temporary file moved over the old one), so that two runs at once never
// leave half a file.

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tessera.Hub;

namespace Tessera.Placement;

/// <summary>The placement planner's cache folder.</summary>
public static class PlacementCache
{
    /// <summary><c>$TESSERA_HOME/placement</c>, else <c>~/.cache/tessera/placement</c>.</summary>
    public static string DefaultDirectory => HubEnvironment.Current.TesseraPlacementCache;

    internal static T? ReadJson<T>(string path, JsonTypeInfo<T> type)
    {
        if (!File.Exists(path)) return default;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, type);
    }

    internal static void WriteJson<T>(string path, T value, JsonTypeInfo<T> type)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        using (var stream = File.Create(temporary)) JsonSerializer.Serialize(stream, value, type);
        File.Move(temporary, path, overwrite: true);
    }
}
