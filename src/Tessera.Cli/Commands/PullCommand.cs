// `tessera pull [REPO[:FILE]]`: downloads a GGUF file from Hugging Face into Tessera's model folder, with resume and
// checksum verification (HubDownloader). FILE may be a file name or a part of one (a quantisation such as Q8_0);
// without it the repository must hold one GGUF file. Without REPO: gpt-oss-20b.

using System.CommandLine;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal static class PullCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var what = new Argument<string?>("model")
        {
            Description = $"REPO[:FILE] on Hugging Face (default {HubFileReference.GptOss20b})",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("pull", "Download a GGUF model from Hugging Face (resumes, checks the sha256); HF_ENDPOINT (or TESSERA_HF_ENDPOINT) changes the server") { what };
        command.SetAction(async (r, cancellationToken) =>
        {
            using var view = new DownloadView(hub, stderr);
            var file = HubFileReference.GptOss20b;
            try
            {
                if (r.GetValue(what) is { } text)
                {
                    var (repository, name) = ModelReference.SplitRepository(text);
                    file = await view.Downloader.ResolveAsync(repository, name, cancellationToken);
                }
                var result = await view.DownloadAsync(file, cancellationToken);
                stdout.WriteLine(DownloadView.Describe(result));
            }
            catch (HubDownloadException e) when (e.ServerUnreachable)
            {
                throw new CliException($"{e.Message}\n{ModelReference.OfflineHint(hub, pulling: true)}");
            }
            return 0;
        });
        return command;
    }
}
