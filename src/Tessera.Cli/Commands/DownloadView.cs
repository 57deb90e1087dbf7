// A download as the user sees it: a progress bar (size, speed, time left) in a terminal, plain lines elsewhere, and
// the downloader's notes (resuming, retrying) as dim lines. Used by `pull` and by the commands that find or download.

using Spectre.Console;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class DownloadView
{
    /// <summary>Downloads <paramref name="file"/> into Tessera's folder unless it is there, showing progress on <paramref name="stderr"/>.</summary>
    public static async Task<HubDownloadResult> DownloadAsync(HubEnvironment hub, HubFileReference file, TextWriter stderr, CancellationToken cancellationToken)
    {
        using var downloader = CreateDownloader(hub, stderr);
        return await DownloadAsync(downloader, file, stderr, cancellationToken);
    }

    public static HubDownloader CreateDownloader(HubEnvironment hub, TextWriter stderr)
    {
        var console = Format.Console(stderr);
        return new HubDownloader(hub, new HubDownloadOptions { Log = line => console.MarkupLine($"[dim]{Markup.Escape(line)}[/]") });
    }

    public static async Task<HubDownloadResult> DownloadAsync(HubDownloader downloader, HubFileReference file, TextWriter stderr, CancellationToken cancellationToken)
    {
        var console = Format.Console(stderr);
        var target = downloader.PathFor(file);
        if (!File.Exists(target)) console.WriteLine($"downloading {file} to {target}");
        if (File.Exists(target) || !console.Profile.Capabilities.Interactive)
            return await downloader.DownloadAsync(file, null, cancellationToken);
        var name = Markup.Escape(Path.GetFileName(file.File));
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(name, maxValue: 1);
                var progress = new Reporter(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    task.Description = p.Stage == DownloadStage.Hashing ? "checking the partial download" : name;
                });
                return await downloader.DownloadAsync(file, progress, cancellationToken);
            });
    }

    /// <summary>One line for the user about a finished download.</summary>
    public static string Describe(HubDownloadResult result) =>
        result.AlreadyPresent ? $"{result.Path} is already downloaded ({Format.Bytes(result.Size)})"
        : $"saved {result.Path} ({Format.Bytes(result.Size)}, "
          + (result.VerifiedSha256 is { } sha ? $"sha256 {sha} verified" : "size checked; the server published no sha256")
          + (result.ResumedFrom > 0 ? $", resumed at {Format.Bytes(result.ResumedFrom)})" : ")");

    // Reports on the downloading thread, in order (Progress<T> would post them to the thread pool, out of order).
    private sealed class Reporter(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
