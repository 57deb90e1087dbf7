// `kernels`: single-thread speed of the integer mat-mul kernels per ISA path, on gpt-oss-20b shapes (an expert's
// 2880×2880 MXFP4 matrix, the 4096×2880 Q8_0 query projection) for 1 to 64 activation rows: GMAC/s and weight GB/s.
// The weights (a few MB) stay in cache, so this is the compute ceiling; `membw` gives the memory one. Time is the thread's
// CPU time (best of -r, default 25), so other processes on a shared machine move it less than wall time. Run it with
// DOTNET_TieredCompilation=0: a few dozen calls leave some kernels in tier-0 or OSR code, which is not what runs in a
// forward pass (thousands of calls, tier 1 with PGO). --cold reads matrices larger than the caches instead.

using System.Runtime.InteropServices;
using Tessera.Backends.Cpu;
using Tessera.Quants;

namespace Tessera.Benchmarks;

internal static unsafe class KernelBench
{
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* time);

    /// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in seconds.</summary>
    public static double ThreadCpuSeconds()
    {
        long* t = stackalloc long[2];
        ClockGetTime(3, t);
        return t[0] + t[1] * 1e-9;
    }

    // One activation row against MXFP4 and Q8_0 matrices that fill `mb` MB (past the caches), read once each, on `threads`
    // threads splitting the rows: the kernels' weight read rate from memory, to set beside `membw`.
    private static int Cold(int mb, int threads)
    {
        Console.WriteLine($"load average: {Inference.Benchmark.LoadAverage():F2}");
        foreach (var (type, n) in new[] { (GgmlType.MXFP4, 2880), (GgmlType.Q8_0, 2880) })
        {
            int blocks = n / 32, blockBytes = type == GgmlType.Q8_0 ? 34 : 17;
            long rowBytes = blocks * blockBytes, total = (long)mb << 20;
            int rows = (int)(total / rowBytes) & ~63;
            var weights = (byte*)NativeMemory.AlignedAlloc((nuint)(rows * rowBytes), 4096);
            new Span<byte>(weights, (int)Math.Min(int.MaxValue, rows * rowBytes)).Fill(0x11);
            for (long b = 0; b < (long)rows * blocks; b++)
                if (type == GgmlType.Q8_0) *(Half*)(weights + b * blockBytes) = (Half)0.01f; else weights[b * blockBytes] = 120;
            using var x = new Q8_0Rows();
            x.Reset(1, n);
            x.Quantize(CpuIsa.Scalar, Enumerable.Range(0, n).Select(i => (float)Math.Sin(i)).ToArray(), 0);
            var y = new float[rows];
            int* zero = (int*)NativeMemory.AllocZeroed(sizeof(int));
            foreach (var isa in CpuIsaSupport.Supported.Where(i => i >= CpuIsa.Avx2))
            {
                double best = 0;
                for (int rep = 0; rep < 5; rep++)
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                    {
                        fixed (float* py = y)
                        {
                            var m = new QuantMatMul
                            {
                                Weights = weights, Rows = rows, RowBytes = rowBytes, Blocks = blocks, XQuants = x.Quants, XStartMxfp4 = x.StartMxfp4,
                                XStartQ8_0 = x.StartQ8_0, XScales = x.Scales, XRows = zero, Y = py, YRows = zero, YStride = rows, Count = 1,
                            };
                            int share = rows / threads;
                            if (type == GgmlType.MXFP4) Q8_0Mxfp4wMatMul.Rows(isa, m, t * share, (t + 1) * share);
                            else Q8_0Q8_0wMatMul.Rows(isa, m, t * share, (t + 1) * share);
                        }
                    })).ToArray();
                    foreach (var w in workers) w.Start();
                    foreach (var w in workers) w.Join();
                    best = Math.Max(best, rows * rowBytes / clock.Elapsed.TotalSeconds / 1e9);
                }
                Console.WriteLine($"{type,-5} {rows} rows of {n}, {rows * rowBytes / 1e9:F2} GB, {threads} thread(s), {isa,-8}: best {best:F1} GB/s");
            }
            NativeMemory.AlignedFree(weights);
            NativeMemory.Free(zero);
        }
        return 0;
    }

    public static int Run(string[] args)
    {
        var a = new Args(args);
        var tokenCounts = a.Ints("--tokens", [1, 4, 8, 16, 64]);
        if (a.Has("--cold")) return Cold(a.Int("--mb", 1024), a.Int("-t", 1));
        int reps = a.Int("-r", 25);
        Console.WriteLine($"load average: {Inference.Benchmark.LoadAverage():F2}; supported: {string.Join(", ", CpuIsaSupport.Supported)}");
        foreach (var (type, rows, n) in new[] { (GgmlType.MXFP4, 2880, 2880), (GgmlType.Q8_0, 4096, 2880) })
        {
            int blocks = n / 32, blockBytes = type == GgmlType.Q8_0 ? 34 : 17;
            long rowBytes = blocks * blockBytes;
            var weights = (byte*)NativeMemory.Alloc((nuint)(rows * rowBytes));
            var rng = new Random(1);
            for (long i = 0; i < rows * rowBytes; i++) weights[i] = (byte)rng.Next(256);
            for (long b = 0; b < rows * blocks; b++)
            {
                if (type == GgmlType.Q8_0) *(Half*)(weights + b * blockBytes) = (Half)0.01f;
                else weights[b * blockBytes] = 120;
            }
            int maxTokens = tokenCounts.Max();
            using var x = new Q8_0Rows();
            x.Reset(maxTokens, n);
            for (int t = 0; t < maxTokens; t++) x.Quantize(CpuIsa.Scalar, Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), t);
            var ids = Enumerable.Range(0, maxTokens).ToArray();
            var y = new float[maxTokens * rows];
            foreach (var isa in CpuIsaSupport.Supported.Where(i => i != CpuIsa.Scalar))
            {
                var line = $"{type,-5} {rows}x{n} {isa,-9}";
                foreach (int tokens in tokenCounts)
                {
                    fixed (int* pid = ids)
                    fixed (float* py = y)
                    {
                        var m = new QuantMatMul
                        {
                            Weights = weights, RowBytes = rowBytes, Blocks = blocks, XQuants = x.Quants, XStartMxfp4 = x.StartMxfp4, XStartQ8_0 = x.StartQ8_0, XScales = x.Scales,
                            XRows = pid, Y = py, YRows = pid, YStride = rows, Count = tokens,
                        };
                        // Warm up past tiered compilation (30 calls, then a background Tier1 compile).
                        for (int w = 0; w < 60; w++)
                        {
                            if (type == GgmlType.MXFP4) Q8_0Mxfp4wMatMul.Rows(isa, m, 0, 2);
                            else Q8_0Q8_0wMatMul.Rows(isa, m, 0, 2);
                            if (w == 40) Thread.Sleep(200);
                        }
                        double best = double.MaxValue;
                        for (int rep = 0; rep < reps; rep++)
                        {
                            double start = ThreadCpuSeconds();
                            if (type == GgmlType.MXFP4) Q8_0Mxfp4wMatMul.Rows(isa, m, 0, rows);
                            else Q8_0Q8_0wMatMul.Rows(isa, m, 0, rows);
                            best = Math.Min(best, ThreadCpuSeconds() - start);
                        }
                        double macs = (double)rows * n * tokens;
                        line += $" | {tokens,2} rows: {macs / best / 1e9,6:F1} GMAC/s {rows * rowBytes / best / 1e9,5:F1} GB/s";
                    }
                }
                Console.WriteLine(line);
            }
            NativeMemory.Free(weights);
        }
        return 0;
    }
}
