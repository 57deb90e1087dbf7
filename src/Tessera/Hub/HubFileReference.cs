// One file of a Hugging Face repository at a revision, as huggingface_hub names it (repo_id, filename, revision).

using System.Text.RegularExpressions;

namespace Tessera.Hub;

/// <summary>A file in a Hugging Face model repository: <c>ggml-org/gpt-oss-20b-GGUF</c>, <c>gpt-oss-20b-mxfp4.gguf</c>, <c>main</c>.</summary>
public sealed partial record HubFileReference
{
    /// <summary>gpt-oss-20b in MXFP4 as ggml-org publishes it for llama.cpp (about 12.1 GB): what <c>tessera chat</c> downloads.</summary>
    public static HubFileReference GptOss20b { get; } = new("ggml-org/gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf");

    /// <summary>A reference; throws <see cref="ArgumentException"/> for a repository that is not OWNER/NAME or a file path that leaves the repository.</summary>
    public HubFileReference(string repository, string file, string revision = "main")
    {
        ValidateRepository(repository);
        if (string.IsNullOrWhiteSpace(file) || file.StartsWith('/') || file.Contains('\\') || file.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"\"{file}\" is not a file path inside a repository");
        if (string.IsNullOrWhiteSpace(revision) || revision.Contains(".."))
            throw new ArgumentException($"\"{revision}\" is not a revision");
        Repository = repository;
        File = file;
        Revision = revision;
    }

    /// <summary>OWNER/NAME.</summary>
    public string Repository { get; }

    /// <summary>Path of the file inside the repository.</summary>
    public string File { get; }

    /// <summary>Branch, tag or commit; default <c>main</c>.</summary>
    public string Revision { get; }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="repository"/> looks like OWNER/NAME.</summary>
    public static void ValidateRepository(string repository)
    {
        if (repository is null || !RepositoryPattern().IsMatch(repository))
            throw new ArgumentException($"\"{repository}\" is not a Hugging Face repository (OWNER/NAME, e.g. {GptOss20b.Repository})");
    }

    /// <summary><c>REPO:FILE</c>, the form <c>tessera pull</c> takes.</summary>
    public override string ToString() => $"{Repository}:{File}";

    /// <summary>The file's address under <paramref name="endpoint"/>: <c>ENDPOINT/REPO/resolve/REVISION/FILE</c>.</summary>
    public Uri ResolveUrl(Uri endpoint) =>
        new(endpoint, $"{Repository}/resolve/{Uri.EscapeDataString(Revision)}/{string.Join('/', File.Split('/').Select(Uri.EscapeDataString))}");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9_.\-]+$")]
    private static partial Regex RepositoryPattern();
}
