// Synthetic gpt-oss models shared by the tests: written once per test run into a temporary folder, deleted at the end.
// That folder is also the run's TESSERA_HOME unless one is set, so what the engine keeps there (placement router counts,
// the CPU bandwidth probe) never lands in the real home of whoever runs the tests.

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Tessera.Models.GptOss;
using Tessera.Synthetic;

[assembly: AssemblyFixture(typeof(Tessera.Tests.TestModels))]

namespace Tessera.Tests;

/// <summary>Paths of synthetic models made for this test run.</summary>
public sealed class TestModels : IDisposable
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"tessera-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private static readonly Lazy<string> TinyPath = new(() => Make("tiny-seed1.gguf", new() { HyperParameters = GptOssHyperParameters.Tiny, Seed = 1 }));

    /// <summary>Points TESSERA_HOME at this run's folder when the environment sets none (before any test reads it).</summary>
    [ModuleInitializer]
    internal static void IsolateHome()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TESSERA_HOME")))
            Environment.SetEnvironmentVariable("TESSERA_HOME", Path.Combine(Folder, "home"));
    }

    /// <summary>The tiny preset with seed 1 (about 40 MB, most of it the vocabulary-sized embedding and head).</summary>
    public static string Tiny => TinyPath.Value;

    /// <summary>A fresh temporary path inside this run's folder.</summary>
    public static string TempPath(string name)
    {
        Directory.CreateDirectory(Folder);
        return Path.Combine(Folder, $"{Guid.NewGuid():N}-{name}");
    }

    private static readonly ConcurrentDictionary<string, Lazy<string>> Made = new();

    /// <summary>Writes a synthetic model to this run's folder (once per name, however many tests ask for it at once:
    /// tests running in parallel wait for the one that writes it).</summary>
    public static string Make(string name, SyntheticGptOssOptions options) => Made.GetOrAdd(name, _ => new Lazy<string>(() =>
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) SyntheticGptOss.Write(path, options);
        return path;
    })).Value;

    public void Dispose()
    {
        try { if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
