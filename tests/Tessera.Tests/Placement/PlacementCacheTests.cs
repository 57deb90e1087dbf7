// What the planner keeps between runs: router counts per model file (known by size and a hash of its header, not its
// weights) as JSON, and the CPU probe's bandwidth per CPU and thread count; a missing, damaged or other-shape file reads
// as nothing.

using Tessera.Gguf;
using Tessera.Placement;

namespace Tessera.Tests.Placement;

public class PlacementCacheTests
{
    [Fact]
    public void CountsRoundTripAndOnlyForTheirShape()
    {
        var dir = TestModels.TempPath("usage");
        var usage = new ExpertUsage(3, 4);
        usage.Add(0, 1, 7);
        usage.Add(2, 3, 11);
        var path = ExpertUsageStore.PathFor(dir, "123-abc");
        ExpertUsageStore.Save(path, usage, "m.gguf", 123);
        var back = ExpertUsageStore.Load(path, 3, 4)!;
        Assert.Equal(usage.ToArray(), back.ToArray());
        Assert.Equal(18, back.TotalPicks);
        Assert.Null(ExpertUsageStore.Load(path, 3, 5));
        Assert.Null(ExpertUsageStore.Load(path, 2, 4));
        Assert.Null(ExpertUsageStore.Load(ExpertUsageStore.PathFor(dir, "other"), 3, 4));
        Assert.Contains("\"counts\"", File.ReadAllText(path));

        File.WriteAllText(path, "{ not json");
        Assert.Null(ExpertUsageStore.Load(path, 3, 4));
    }

    [Fact]
    public void AModelIsKnownByItsSizeAndHeaderNotItsPath()
    {
        var copy = TestModels.TempPath("copy.gguf");
        File.Copy(TestModels.Tiny, copy);
        string key;
        using (var a = GgufFile.Open(TestModels.Tiny)) key = ExpertUsageStore.ModelKey(a);
        using (var b = GgufFile.Open(copy)) Assert.Equal(key, ExpertUsageStore.ModelKey(b));
        Assert.StartsWith($"{new FileInfo(copy).Length}-", key);

        // One byte of the metadata changed (a letter of general.name): another model.
        var bytes = File.ReadAllBytes(copy);
        int at = IndexOf(bytes, "synthetic"u8);
        bytes[at] = (byte)'S';
        File.WriteAllBytes(copy, bytes);
        using (var c = GgufFile.Open(copy)) Assert.NotEqual(key, ExpertUsageStore.ModelKey(c));
    }

    [Fact]
    public void UsageFromCountsChecksItsShape()
    {
        var usage = ExpertUsage.FromCounts([[1, 2], [3, 4]]);
        Assert.Equal(2, usage.Layers);
        Assert.Equal(2, usage.Experts);
        Assert.Equal(2 / 3.0, usage.Share(0, 1), 1e-12);
        Assert.Throws<ArgumentException>(() => ExpertUsage.FromCounts([[1, 2], [3]]));
    }

    [Fact]
    public void TheCpuProbeMeasuresOnceAndThenReadsItsCache()
    {
        var dir = TestModels.TempPath("probe");
        double first = CpuBandwidthProbe.Get(1, dir, out var source);
        Assert.InRange(first, 1e8, 1e13);
        Assert.StartsWith("measured on this machine now (1 threads)", source);
        double second = CpuBandwidthProbe.Get(1, dir, out source);
        Assert.Equal(first, second);
        Assert.Contains("cached", source);
        Assert.Contains(CpuBandwidthProbe.CpuName(), File.ReadAllText(Path.Combine(dir, "cpu-bandwidth.json")));
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
