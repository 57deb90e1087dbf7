// The host's lifetime when the server is embedded: the default ConsoleLifetime would take over Ctrl+C and SIGTERM
// for the whole process, which belongs to whoever hosts the server (the CLI stops it through its own token).

using Microsoft.Extensions.Hosting;

namespace Tessera.Server;

/// <summary>An <see cref="IHostLifetime"/> that leaves process signals alone.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
