// `membw`: the machine's read bandwidth with 1..N threads, each reading its share of a large buffer with 512-bit (or
// 256-bit) loads, the pattern a decode step has. The buffer is anonymous memory (default 1 GiB, well past the caches)
// or, with --file, a memory-mapped file such as the model (its pages from the page cache; a first pass maps them).

using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Benchmarks;

internal static unsafe class MemoryBandwidth
{
    public static int Run(string[] args)
    {
        var a = new Args(args);
        int maxThreads = a.Int("-t", Environment.ProcessorCount), repeat = a.Int("-r", 5);
        byte* data = null;
        long length;
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        if (a.Has("--file"))
        {
            var path = a.String("--file");
            length = new FileInfo(path).Length & ~4095L;
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref data);
            Console.WriteLine($"buffer: {path} mapped, {length / 1e9:F2} GB");
        }
        else
        {
            length = (long)a.Int("--mb", 1024) << 20;
            data = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
            for (long i = 0; i < length; i += 4096) data[i] = 1;
            Console.WriteLine($"buffer: {length / 1e9:F2} GB anonymous memory");
        }
        Read(data, length, maxThreads);   // first touch: maps the pages
        Console.WriteLine($"load average: {Inference.Benchmark.LoadAverage():F2}");
        for (int threads = 1; threads <= maxThreads; threads++)
        {
            var rates = Enumerable.Range(0, repeat).Select(_ => length / Read(data, length, threads) / 1e9).ToArray();
            Console.WriteLine($"{threads} thread{(threads == 1 ? " " : "s")}: best {rates.Max():F1} GB/s, median {rates.Order().ElementAt(rates.Length / 2):F1} GB/s");
        }
        Console.WriteLine($"load average: {Inference.Benchmark.LoadAverage():F2}");
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file!.Dispose();
        }
        else NativeMemory.AlignedFree(data);
        return 0;
    }

    // Seconds for `threads` threads to read [0, length) in equal contiguous shares.
    private static double Read(byte* data, long length, int threads)
    {
        long share = length / threads & ~255L;
        var sink = new long[threads];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => sink[t] = Sum(data + t * share, share))).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        return clock.Elapsed.TotalSeconds;
    }

    private static long Sum(byte* p, long n)
    {
        var a = Vector256<byte>.Zero;
        var b = Vector256<byte>.Zero;
        var c = Vector256<byte>.Zero;
        var d = Vector256<byte>.Zero;
        for (byte* end = p + n; p < end; p += 128)
        {
            a |= Vector256.Load(p);
            b |= Vector256.Load(p + 32);
            c |= Vector256.Load(p + 64);
            d |= Vector256.Load(p + 96);
        }
        return (long)(a | b | c | d).AsUInt64().GetElement(0);
    }
}
