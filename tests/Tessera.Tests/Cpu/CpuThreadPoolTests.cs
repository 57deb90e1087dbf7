// The CPU thread pool: every item of every op runs exactly once, on any number of threads, across thousands of ops in a
// row (the decode pattern) and with idle gaps long enough for the workers to fall asleep; a failing item surfaces.

using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public class CpuThreadPoolTests
{
    private sealed class Counting(int items) : CpuThreadPool.IWork
    {
        public readonly int[] Runs = new int[items];
        public readonly int[] Threads = new int[items];

        public void Execute(int item, int thread)
        {
            Interlocked.Increment(ref Runs[item]);
            Threads[item] = thread;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void EveryItemRunsOnceInEveryOp(int threads)
    {
        using var pool = new CpuThreadPool(threads);
        foreach (int items in new[] { 1, 2, 3, 7, 64, 1000, 25_000 })
        {
            var work = new Counting(items);
            for (int op = 0; op < 20; op++) pool.Run(work, items);
            Assert.All(work.Runs, r => Assert.Equal(20, r));
            Assert.All(work.Threads, t => Assert.InRange(t, 0, threads - 1));
        }
    }

    [Fact]
    public void ManySmallOpsAndSleepingWorkersLoseNothing()
    {
        using var pool = new CpuThreadPool(3);
        var work = new Counting(5);
        for (int op = 0; op < 20_000; op++) pool.Run(work, 5);
        Thread.Sleep(50);   // workers give up spinning and sleep
        pool.Run(work, 5);
        Assert.All(work.Runs, r => Assert.Equal(20_001, r));
    }

    private sealed class Failing : CpuThreadPool.IWork
    {
        public void Execute(int item, int thread)
        {
            if (item == 3) throw new InvalidOperationException("item 3");
        }
    }

    [Fact]
    public void AFailingItemSurfacesAndThePoolGoesOn()
    {
        using var pool = new CpuThreadPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new Failing(), 10));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var work = new Counting(10);
        pool.Run(work, 10);
        Assert.All(work.Runs, r => Assert.Equal(1, r));
    }
}
