// llama.cpp's Hugging Face flags on the commands that load a model: -hf OWNER/REPO[:QUANT] and -hff FILE (a file of that
// repository, which overrides the quantisation after the colon). ModelReference resolves what they name.

using System.CommandLine;

namespace Tessera.Cli.Commands;

internal sealed class HuggingFaceOptions
{
    public Option<string?> Repository { get; } = new("--hf-repo", "-hf", "-hfr")
    {
        Description = "OWNER/REPO[:QUANT] on Hugging Face, as llama.cpp takes it: the file from this machine's folders, else downloaded like tessera pull",
    };

    public Option<string?> File { get; } = new("--hf-file", "-hff")
    {
        Description = "A file of the -hf repository (overrides its :QUANT), as llama.cpp takes it",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Repository);
        command.Options.Add(File);
    }

    /// <summary>OWNER/REPO[:QUANT-OR-FILE] with -hff in place of the part after the colon; null without -hf.</summary>
    public string? Reference(ParseResult r)
    {
        var repository = r.GetValue(Repository);
        var file = r.GetValue(File);
        if (file is null) return repository;
        if (repository is null) throw new CliException($"{PlacementOptions.Typed(r, File)} names a file of the -hf repository: give -hf OWNER/REPO too");
        if (file.Trim().Length == 0) throw new CliException($"{PlacementOptions.Typed(r, File)} needs a file name, not \"{file}\"");
        var colon = repository.IndexOf(':');
        return $"{(colon < 0 ? repository : repository[..colon])}:{file}";
    }
}
