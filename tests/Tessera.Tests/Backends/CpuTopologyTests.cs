// The default thread count: one per physical core, performance cores only on a hybrid Intel CPU, read from a sysfs tree.

using Tessera.Backends.Cpu;

namespace Tessera.Tests.Backends;

public class CpuTopologyTests
{
    // A fake /sys/devices/system/cpu: cpu → (package, core).
    private static string Sysfs(IEnumerable<(int Cpu, int Package, int Core)> cpus, string? performanceCores = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "tessera-topology-" + Guid.NewGuid().ToString("N"));
        var cpuRoot = Path.Combine(root, "system", "cpu");
        foreach (var (cpu, package, core) in cpus)
        {
            var topology = Directory.CreateDirectory(Path.Combine(cpuRoot, $"cpu{cpu}", "topology")).FullName;
            File.WriteAllText(Path.Combine(topology, "physical_package_id"), $"{package}\n");
            File.WriteAllText(Path.Combine(topology, "core_id"), $"{core}\n");
        }
        Directory.CreateDirectory(Path.Combine(cpuRoot, "cpufreq"));   // not a CPU
        if (performanceCores is not null)
        {
            Directory.CreateDirectory(Path.Combine(root, "cpu_core"));
            File.WriteAllText(Path.Combine(root, "cpu_core", "cpus"), performanceCores + "\n");
        }
        return cpuRoot;
    }

    [Fact]
    public void HyperThreadSiblingsCountOnce()
    {
        // 2 packages × 4 cores × 2 threads.
        var cpus = Enumerable.Range(0, 16).Select(i => (i, i / 8, i % 4));
        Assert.Equal(8, CpuTopology.PhysicalCores(Sysfs(cpus)));
    }

    [Fact]
    public void OneThreadACoreCountsEveryCpu() =>
        Assert.Equal(16, CpuTopology.PhysicalCores(Sysfs(Enumerable.Range(0, 16).Select(i => (i, 0, i)))));

    [Fact]
    public void AHybridIntelCpuCountsItsPerformanceCores()
    {
        // i7-14650HX: 8 P-cores with two threads (cpus 0-15, core ids 0..7), 8 E-cores (cpus 16-23).
        var cpus = Enumerable.Range(0, 16).Select(i => (i, 0, i / 2)).Concat(Enumerable.Range(16, 8).Select(i => (i, 0, 100 + i)));
        Assert.Equal(8, CpuTopology.PhysicalCores(Sysfs(cpus, "0-15")));
        Assert.Equal(16, CpuTopology.PhysicalCores(Sysfs(cpus)));
    }

    [Fact]
    public void NoTopologyMeansUnknown() => Assert.Null(CpuTopology.PhysicalCores(Sysfs([])));

    [Fact]
    public void CpuListsParse() => Assert.Equal([0, 1, 2, 3, 8, 10, 11], CpuTopology.ParseList("0-3,8,10-11\n").Order());

    [Fact]
    public void TheDefaultIsAtLeastOneAndAtMostTheLogicalProcessors() =>
        Assert.InRange(CpuTopology.DefaultThreads, 1, Environment.ProcessorCount);
}
