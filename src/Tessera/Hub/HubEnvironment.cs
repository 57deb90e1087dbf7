// Where models live on this machine and where the Hugging Face Hub is, found the way each tool finds its own folder:
// its environment variable first, then its default under the home folder (huggingface_hub's constants.py, llama.cpp's
// fs_get_cache_directory, LM Studio's ~/.lmstudio). Everything reads variables through this object, so tests can use a
// fake home without touching the process environment.

namespace Tessera.Hub;

/// <summary>The home folder, environment variables and the folders derived from them that model discovery and
/// downloads use. <see cref="Current"/> reads the process; tests build one over a temporary home.</summary>
public sealed class HubEnvironment
{
    /// <summary>The Hugging Face Hub, used when neither <c>TESSERA_HF_ENDPOINT</c> nor <c>HF_ENDPOINT</c> is set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    private readonly Func<string, string?> _variable;

    /// <summary>An environment over <paramref name="home"/> and <paramref name="variables"/> only (unset names read as absent).</summary>
    public HubEnvironment(string home, IReadOnlyDictionary<string, string>? variables = null)
        : this(home, name => variables is not null && variables.TryGetValue(name, out var v) ? v : null)
    {
    }

    private HubEnvironment(string home, Func<string, string?> variable)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        Home = home;
        _variable = variable;
    }

    /// <summary>This process's home folder and environment variables.</summary>
    public static HubEnvironment Current { get; } = new(CurrentHome(), Environment.GetEnvironmentVariable);

    // DoNotVerify: a home folder that does not exist yet is still where the caches would be.
    private static string CurrentHome() =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify) is { Length: > 0 } home ? home : Path.GetFullPath(".");

    /// <summary>The user's home folder.</summary>
    public string Home { get; }

    /// <summary>An environment variable; empty counts as unset.</summary>
    public string? Variable(string name) => _variable(name) is { Length: > 0 } v ? v : null;

    // XDG_CACHE_HOME is honoured on every platform, as huggingface_hub does.
    private string CacheHome => Variable("XDG_CACHE_HOME") ?? Path.Combine(Home, ".cache");

    /// <summary>Tessera's own folder: <c>$TESSERA_HOME</c>, else <c>~/.cache/tessera</c>.</summary>
    public string TesseraHome => Variable("TESSERA_HOME") ?? Path.Combine(CacheHome, "tessera");

    /// <summary>Tessera's model folder: <c>$TESSERA_HOME/models</c>, else <c>~/.cache/tessera/models</c>.
    /// Downloads go to <c>REPO-OWNER/REPO-NAME/FILE</c> inside it.</summary>
    public string TesseraModels => Path.Combine(TesseraHome, "models");

    /// <summary>What the placement planner learns about this machine and its models (CPU bandwidth, router counts):
    /// <c>$TESSERA_HOME/placement</c>, else <c>~/.cache/tessera/placement</c>.</summary>
    public string TesseraPlacementCache => Path.Combine(TesseraHome, "placement");

    /// <summary>LM Studio's model folders: <c>~/.lmstudio/models</c> (LM Studio 0.3 and later) and <c>~/.cache/lm-studio/models</c> (earlier).</summary>
    public IReadOnlyList<string> LmStudioModels => [Path.Combine(Home, ".lmstudio", "models"), Path.Combine(Home, ".cache", "lm-studio", "models")];

    /// <summary>The Hugging Face Hub cache: <c>$HF_HUB_CACHE</c>, <c>$HUGGINGFACE_HUB_CACHE</c>, <c>$HF_HOME/hub</c>,
    /// else <c>~/.cache/huggingface/hub</c>.</summary>
    public string HuggingFaceHubCache =>
        Variable("HF_HUB_CACHE") ?? Variable("HUGGINGFACE_HUB_CACHE")
        ?? Path.Combine(Variable("HF_HOME") ?? Path.Combine(CacheHome, "huggingface"), "hub");

    /// <summary>llama.cpp's download cache (<c>-hf</c>): <c>$LLAMA_CACHE</c>, else <c>~/.cache/llama.cpp</c>
    /// (<c>~/Library/Caches/llama.cpp</c> on macOS, <c>%LOCALAPPDATA%\llama.cpp</c> on Windows).</summary>
    public string LlamaCppCache =>
        Variable("LLAMA_CACHE")
        ?? (OperatingSystem.IsMacOS() ? Path.Combine(Home, "Library", "Caches", "llama.cpp")
            : OperatingSystem.IsWindows() && Variable("LOCALAPPDATA") is { } local ? Path.Combine(local, "llama.cpp")
            : Path.Combine(CacheHome, "llama.cpp"));

    /// <summary>Ollama's model store: <c>$OLLAMA_MODELS</c>, else <c>~/.ollama/models</c> (manifests and blobs).</summary>
    public string OllamaModels => Variable("OLLAMA_MODELS") ?? Path.Combine(Home, ".ollama", "models");

    /// <summary>Base address of the Hub: <c>$TESSERA_HF_ENDPOINT</c>, <c>$HF_ENDPOINT</c> (as huggingface_hub reads it), else huggingface.co.</summary>
    public Uri Endpoint
    {
        get
        {
            var text = (Variable("TESSERA_HF_ENDPOINT") ?? Variable("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');
            return Uri.TryCreate(text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new ArgumentException($"the Hugging Face endpoint must be an http or https address, not \"{text}\" (TESSERA_HF_ENDPOINT / HF_ENDPOINT)");
        }
    }

    /// <summary>Access token for gated or private repositories: <c>$HF_TOKEN</c> (or the older <c>$HUGGING_FACE_HUB_TOKEN</c>).</summary>
    public string? Token => Variable("HF_TOKEN") ?? Variable("HUGGING_FACE_HUB_TOKEN");
}
