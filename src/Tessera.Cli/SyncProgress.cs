// An IProgress that reports on the reporting thread, in order: Progress<T> would post each report to the thread pool,
// out of order and possibly after a progress display has gone.

namespace Tessera.Cli;

internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
