// A download as the user sees it: one "downloading" line, then a progress bar (size, speed, time left) in a terminal or
// a plain line every tenth elsewhere; the downloader's notes (resuming, retrying) are written through the same console
// as the bar, so Spectre puts them above it and neither overwrites the other. The bar appears with the first report,
// when the size is known; a size the server does not give shows as unknown. Used by `pull`, `-hf` and the default model.

using Spectre.Console;
using Spectre.Console.Rendering;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal sealed class DownloadView : IDisposable
{
    private readonly IAnsiConsole _console;

    public DownloadView(HubEnvironment hub, TextWriter stderr)
    {
        _console = Format.Console(stderr);
        Downloader = new HubDownloader(hub, new HubDownloadOptions { Log = line => _console.MarkupLine($"[dim]{Markup.Escape(line)}[/]") });
    }

    public HubDownloader Downloader { get; }

    /// <summary>Downloads <paramref name="file"/> into Tessera's folder unless it is there, showing progress.</summary>
    public async Task<HubDownloadResult> DownloadAsync(HubFileReference file, CancellationToken cancellationToken)
    {
        var target = Downloader.PathFor(file);
        if (File.Exists(target)) return await Downloader.DownloadAsync(file, null, cancellationToken);
        _console.WriteLine($"downloading {file} to {target}");
        if (!_console.Profile.Capabilities.Interactive)
        {
            var plain = new PlainReporter(_console);
            return await Downloader.DownloadAsync(file, plain, cancellationToken);
        }
        var name = Markup.Escape(Path.GetFileName(file.File));
        return await _console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SizeColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                ProgressTask? task = null;
                var progress = new SyncProgress<DownloadProgress>(p =>
                {
                    task ??= context.AddTask(name, maxValue: Math.Max(1, p.Total));
                    task.IsIndeterminate = p.Total <= 0;
                    if (p.Total > 0) task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = p.Stage == DownloadStage.Hashing ? "checking the partial download" : name;
                });
                var result = await Downloader.DownloadAsync(file, progress, cancellationToken);
                task?.StopTask();
                return result;
            });
    }

    /// <summary>One line for the user about a finished download.</summary>
    public static string Describe(HubDownloadResult result) =>
        result.AlreadyPresent ? $"{result.Path} is already downloaded ({Format.Bytes(result.Size)})"
        : $"saved {result.Path} ({Format.Bytes(result.Size)}, "
          + (result.VerifiedSha256 is { } sha ? $"sha256 {sha} verified" : "size checked; the server published no sha256")
          + (result.ResumedFrom > 0 ? $", resumed at {Format.Bytes(result.ResumedFrom)})" : ")");

    public void Dispose() => Downloader.Dispose();

    /// <summary>Bytes so far of the total, or of a size not known.</summary>
    internal static string Size(long done, long total) => total > 0 ? $"{Format.Bytes(done)}/{Format.Bytes(total)}" : $"{Format.Bytes(done)} (size unknown)";

    // Without a terminal: a line at each tenth of the file, so a log shows it moving without a line per read.
    private sealed class PlainReporter(IAnsiConsole console) : IProgress<DownloadProgress>
    {
        private int _tenth = -1;
        private DownloadStage _stage;

        public void Report(DownloadProgress value)
        {
            if (value.Stage != _stage) (_stage, _tenth) = (value.Stage, -1);
            var tenth = value.Total > 0 ? (int)(value.Done * 10 / value.Total) : 0;
            if (tenth == _tenth) return;
            _tenth = tenth;
            var what = value.Stage == DownloadStage.Hashing ? "checking the partial download" : "downloaded";
            console.WriteLine(value.Total > 0 ? $"{what} {tenth * 10}% ({Size(value.Done, value.Total)})" : $"{what} {Size(value.Done, value.Total)}");
        }
    }

    private sealed class SizeColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(Size((long)task.Value, task.IsIndeterminate ? 0 : (long)task.MaxValue));
    }
}
