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
        var command = new Command("pull", "Download a GGUF model from Hugging Face (resumes, checks the sha256); TESSERA_HF_ENDPOINT or HF_ENDPOINT change the server") { what };
        command.SetAction(async (r, cancellationToken) =>
        {
            using var downloader = DownloadView.CreateDownloader(hub, stderr);
            var file = HubFileReference.GptOss20b;
            if (r.GetValue(what) is { } text)
            {
                var colon = text.IndexOf(':');
                var (repository, name) = colon < 0 ? (text, null) : (text[..colon], text[(colon + 1)..]);
                file = await downloader.ResolveAsync(repository, string.IsNullOrEmpty(name) ? null : name, cancellationToken);
            }
            var result = await DownloadView.DownloadAsync(downloader, file, stderr, cancellationToken);
            stdout.WriteLine(DownloadView.Describe(result));
            return 0;
        });
        return command;
    }
}
