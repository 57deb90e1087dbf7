// A persistent pool for the CPU backend's parallel ops: the calling thread and Threads − 1 workers share each op's items
// (row ranges), handed out by an atomic counter in guided chunks (a quarter of the remaining items per thread, down to
// one), so each thread streams long contiguous ranges, claims are few, and a thread that the OS delays simply takes less. A decode step runs
// hundreds of ops, so dispatch must cost microseconds: workers spin on a ticket for a while after each op (the next one
// usually follows within microseconds) and only then sleep on a monitor. The caller waits for the items to finish, not
// for every worker to check in, so a worker that is asleep or descheduled never delays an op it took no part in.
// The ticket packs the op's generation (high 32 bits) with the next item index, so a late worker can never take an item
// of an op that has moved on. Nothing is allocated per op.

namespace Tessera.Backends.Cpu;

/// <summary>Runs parallel ops on a fixed set of threads with low dispatch cost.</summary>
internal sealed class CpuThreadPool : IDisposable
{
    /// <summary>One parallel op: <see cref="Execute"/> runs item <c>item</c> on thread <c>thread</c> (0 = the caller).</summary>
    public interface IWork
    {
        void Execute(int item, int thread);
    }

    // How long an idle worker spins before it sleeps: long enough to span the serial gaps between ops of a forward pass.
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 1000 * 2;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private IWork? _work;
    private int _items;
    private long _ticket;       // generation << 32 | next item
    private int _done;          // items finished in the current op
    private int _sleepers;
    private volatile bool _stopping;
    private Exception? _failure;

    /// <param name="threads">Threads per op, the caller's included (at least 1).</param>
    public CpuThreadPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"tessera-cpu-{index}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that run each op, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>Runs items 0..<paramref name="items"/>−1 of <paramref name="work"/> and returns when all have finished.</summary>
    public void Run(IWork work, int items)
    {
        if (items <= 0)
            return;
        if (_workers.Length == 0 || items == 1)
        {
            for (int i = 0; i < items; i++) work.Execute(i, 0);
            return;
        }

        _work = work;
        _items = items;
        Volatile.Write(ref _done, 0);
        long generation = (Volatile.Read(ref _ticket) >> 32) + 1;
        Interlocked.Exchange(ref _ticket, generation << 32);
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);

        Drain(generation, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < items)
            spin.SpinOnce(sleep1Threshold: -1);
        _work = null;
        if (_failure is { } failure)
        {
            _failure = null;
            throw new AggregateException("a CPU kernel failed", failure);
        }
    }

    // Takes items of op `generation` until none are left (or the op has moved on).
    private void Drain(long generation, int thread)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            if (ticket >> 32 != generation) return;
            var work = Volatile.Read(ref _work);
            int items = Volatile.Read(ref _items);
            int item = (int)ticket;
            if (item >= items || work is null) return;
            int claim = Math.Max(1, (items - item) / (4 * Threads));
            if (Interlocked.CompareExchange(ref _ticket, ticket + claim, ticket) != ticket) continue;
            try
            {
                for (int i = item; i < item + claim; i++) work.Execute(i, thread);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Add(ref _done, claim);
        }
    }

    private void WorkerLoop(int thread)
    {
        long seen = 0;
        while (true)
        {
            long generation = Volatile.Read(ref _ticket) >> 32;
            if (generation == seen)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                while ((generation = Volatile.Read(ref _ticket) >> 32) == seen && !_stopping)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }
                    lock (_gate)
                    {
                        Interlocked.Increment(ref _sleepers);
                        while ((generation = Volatile.Read(ref _ticket) >> 32) == seen && !_stopping)
                            Monitor.Wait(_gate);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
            }
            if (_stopping) return;
            seen = generation;
            Drain(generation, thread);
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var worker in _workers) worker.Join();
    }
}
