// How many threads the CPU kernels should use by default: one per physical core (a hyper-thread sibling shares the core's
// load ports and only adds contention to memory-bound kernels), and on Intel's hybrid CPUs one per performance core, as
// llama.cpp's default does. Read from Linux's sysfs; elsewhere (or when sysfs says nothing) half the logical processors
// when there are at least four, as SMT machines usually have two threads a core.

using System.Globalization;

namespace Tessera.Backends.Cpu;

/// <summary>The machine's cores as the default thread count sees them.</summary>
public static class CpuTopology
{
    private static readonly Lazy<int> Default = new(Detect);

    /// <summary>Physical performance cores (see the file's header), at least 1.</summary>
    public static int DefaultThreads => Default.Value;

    private static int Detect()
    {
        int logical = Environment.ProcessorCount;
        try
        {
            if (OperatingSystem.IsLinux() && PhysicalCores("/sys/devices/system/cpu") is int cores and > 0)
                return Math.Min(cores, logical);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return logical >= 4 ? logical / 2 : logical;
    }

    /// <summary>Distinct (package, core) pairs among the CPUs this process may run on, limited to the performance cores
    /// (<c>/sys/devices/cpu_core/cpus</c>) on a hybrid CPU; null when sysfs has no topology.</summary>
    internal static int? PhysicalCores(string root)
    {
        HashSet<int>? performance = null;
        var coreList = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(root))!, "cpu_core", "cpus");   // /sys/devices/cpu_core/cpus
        if (File.Exists(coreList)) performance = ParseList(File.ReadAllText(coreList));
        var cores = new HashSet<(string, string)>();
        foreach (var dir in Directory.EnumerateDirectories(root, "cpu*"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int cpu)) continue;
            if (performance is not null && !performance.Contains(cpu)) continue;
            var package = Path.Combine(dir, "topology", "physical_package_id");
            var core = Path.Combine(dir, "topology", "core_id");
            if (!File.Exists(core)) continue;
            cores.Add((File.Exists(package) ? File.ReadAllText(package).Trim() : "0", File.ReadAllText(core).Trim()));
        }
        return cores.Count > 0 ? cores.Count : null;
    }

    // "0-7,16,18-19" → {0..7, 16, 18, 19}
    internal static HashSet<int> ParseList(string text)
    {
        var set = new HashSet<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            int first = int.Parse(range[0], CultureInfo.InvariantCulture), last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (int i = first; i <= last; i++) set.Add(i);
        }
        return set;
    }
}
