// The line in front of the model: it has one context, so requests are served one at a time in arrival order, and
// beyond QueueLimit waiting requests the next is turned away at once (429) rather than left to time out.

namespace Tessera.Server;

/// <summary>A single-slot gate with a bounded number of waiters.</summary>
internal sealed class RequestQueue(int queueLimit)
{
    // SemaphoreSlim hands the slot to waiters in the order they started waiting (async waiters are FIFO).
    private readonly SemaphoreSlim _slot = new(1, 1);
    private int _admitted;   // waiting plus in flight
    private int _inFlight;

    public int QueueLimit { get; } = queueLimit;

    /// <summary>Requests waiting for the model.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref _admitted) - Volatile.Read(ref _inFlight));

    /// <summary>Requests the model is working on (0 or 1).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Waits for the model; null when the queue is full. Dispose the lease to hand the model on.</summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _admitted) > QueueLimit + 1)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }
        try { await _slot.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }
        Interlocked.Increment(ref _inFlight);
        return new Lease(this);
    }

    private void Leave()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Decrement(ref _admitted);
        _slot.Release();
    }

    private sealed class Lease(RequestQueue queue) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) queue.Leave();
        }
    }
}
