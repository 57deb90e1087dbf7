// WeightTensor.MapPages: a device backend reads the token table on the host a row a token, and a row whose page was never
// touched costs a page fault. After MapPages reading any row costs none. Counted with the kernel's per-thread count of
// minor faults, so Linux only.

using Tessera.Backends;
using Tessera.Quants;

namespace Tessera.Tests.Backends;

public class WeightPagesTests
{
    [Fact]
    public void MappedPagesCostNoFaultWhenRead()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/thread-self/stat"))
            Assert.Skip("counting page faults needs Linux's /proc/thread-self/stat");
        const int width = 2880, rows = 20_000;   // 3,060 bytes a row, 61 MB: 14,942 pages
        var path = TestModels.TempPath("pages.gguf");
        using (var weights = new TestWeights().AddRandom("table", GgmlType.Q8_0, [width, rows], new Random(3)))
            weights.Write(path);

        long FaultsReading(bool mapFirst)
        {
            using var file = Tessera.Gguf.GgufFile.Open(path);   // a mapping of its own: no page of it touched yet
            var table = WeightTensor.Mapped(file, file.Tensors.Single());   // as the CPU keeps a host weight
            if (mapFirst) table.MapPages();
            var rng = new Random(5);
            var order = Enumerable.Range(0, 300).Select(_ => rng.Next(rows)).ToArray();
            int sum = 0;
            long before = MinorFaults();
            foreach (int r in order) sum += table.Row(r)[width / 2];
            long faults = MinorFaults() - before;
            GC.KeepAlive(sum);
            return faults;
        }

        long plain = FaultsReading(mapFirst: false), mapped = FaultsReading(mapFirst: true);
        Assert.True(plain >= 10, $"reading 300 random rows of a fresh mapping took {plain} page faults; the test expects many");
        Console.Error.WriteLine($"page faults reading 300 random rows: {plain} on a fresh mapping, {mapped} after MapPages");
        Assert.True(mapped <= 3, $"after MapPages, reading 300 random rows took {mapped} page faults");
    }

    // This thread's minor page faults so far (field 10 of /proc/thread-self/stat; the name in field 2 may hold spaces).
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]);   // fields from 3 on: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt
    }
}
