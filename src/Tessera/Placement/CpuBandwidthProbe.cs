// Measures how fast this machine's CPU threads read memory, for the decode-speed model: a 512 MiB buffer (far larger than
// any L3) read by the CPU backend's own thread pool in 4 MiB items, best of four passes after one that warms the pool,
// well under a second. The result is cached per CPU model and thread count in the placement cache folder, so a run pays
// for it once per machine.

using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tessera.Backends.Cpu;

namespace Tessera.Placement;

/// <summary>Multi-threaded memory read bandwidth of this machine, measured once and cached.</summary>
public static unsafe class CpuBandwidthProbe
{
    private const long ProbeBytes = 512L << 20;
    private const int ItemBytes = 4 << 20;
    private const int Passes = 4;
    private const string CacheFile = "cpu-bandwidth.json";

    /// <summary>Read bandwidth in bytes/s of <paramref name="threads"/> threads: cached in <paramref name="cacheDirectory"/>
    /// (null: not cached) under this CPU's name, else measured now. <paramref name="source"/> says which.</summary>
    public static double Get(int threads, string? cacheDirectory, out string source)
    {
        string cpu = CpuName();
        var path = cacheDirectory is null ? null : Path.Combine(cacheDirectory, CacheFile);
        var cache = path is null ? new CpuBandwidthCache() : Load(path);
        if (cache.Entries.FirstOrDefault(e => e.Cpu == cpu && e.Threads == threads) is { } hit)
        {
            source = $"measured on this machine ({threads} threads, cached {hit.MeasuredUtc:yyyy-MM-dd})";
            return hit.BytesPerSecond;
        }
        double measured = Measure(threads);
        source = $"measured on this machine now ({threads} threads)";
        if (path is not null)
        {
            cache.Entries.RemoveAll(e => e.Cpu == cpu && e.Threads == threads);
            cache.Entries.Add(new CpuBandwidthEntry(cpu, threads, measured, DateTime.UtcNow));
            PlacementCache.WriteJson(path, cache, PlacementJsonContext.Default.CpuBandwidthCache);
        }
        return measured;
    }

    /// <summary>Measures now: bytes/s of the best pass.</summary>
    public static double Measure(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)ProbeBytes, 4096);
        try
        {
            using var pool = new CpuThreadPool(threads);
            var work = new ReadWork(buffer);
            pool.Run(new FillWork(buffer), (int)(ProbeBytes / ItemBytes));   // pages touched by the threads that read them
            double best = 0;
            for (int pass = 0; pass <= Passes; pass++)
            {
                long start = Stopwatch.GetTimestamp();
                pool.Run(work, (int)(ProbeBytes / ItemBytes));
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (pass > 0) best = Math.Max(best, ProbeBytes / seconds);
            }
            GC.KeepAlive(work.Sink);
            return best;
        }
        finally { NativeMemory.AlignedFree(buffer); }
    }

    /// <summary>The CPU's model name (Linux: /proc/cpuinfo), else the architecture and logical core count.</summary>
    public static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                        return line[(colon + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER")
            ?? $"{RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical cores";
    }

    private static CpuBandwidthCache Load(string path)
    {
        try { return PlacementCache.ReadJson(path, PlacementJsonContext.Default.CpuBandwidthCache) ?? new(); }
        catch (JsonException) { return new(); }   // a damaged cache is measured again and rewritten
    }

    private sealed class FillWork(byte* buffer) : CpuThreadPool.IWork
    {
        public void Execute(int item, int thread) => new Span<byte>(buffer + (long)item * ItemBytes, ItemBytes).Fill((byte)item);
    }

    private sealed class ReadWork(byte* buffer) : CpuThreadPool.IWork
    {
        public long Sink;

        public void Execute(int item, int thread)
        {
            var values = new ReadOnlySpan<Vector<ulong>>(buffer + (long)item * ItemBytes, ItemBytes / Vector<byte>.Count);
            Vector<ulong> a = default, b = default, c = default, d = default;
            for (int i = 0; i + 3 < values.Length; i += 4)
            {
                a ^= values[i];
                b ^= values[i + 1];
                c ^= values[i + 2];
                d ^= values[i + 3];
            }
            var sum = a ^ b ^ c ^ d;
            Interlocked.Add(ref Sink, (long)sum[0]);
        }
    }
}
