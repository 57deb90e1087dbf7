// Options shared by the commands that load a model: file, context size, threads, GPU layers. Commands made with
// FindingGptOss20b take no -m as "gpt-oss-20b from this machine's model folders, else downloaded" (DefaultModel).

using System.CommandLine;
using Spectre.Console;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal sealed class ModelOptions
{
    private readonly HubEnvironment? _hub;   // null: -m is required

    public ModelOptions() : this(null) { }

    private ModelOptions(HubEnvironment? hub)
    {
        _hub = hub;
        Model = new("--model", "-m")
        {
            Description = hub is null ? "GGUF model file" : "GGUF model file (default: gpt-oss-20b from Tessera's, LM Studio's, Hugging Face's or llama.cpp's folders, else downloaded)",
            Required = hub is null,
        };
    }

    /// <summary>Options whose -m may be left out: then gpt-oss-20b is found or downloaded.</summary>
    public static ModelOptions FindingGptOss20b(HubEnvironment hub) => new(hub);

    public Option<string> Model { get; }
    public Option<int> Context { get; } = new("--ctx-size", "-c") { Description = "Context size in tokens", DefaultValueFactory = _ => 4096 };
    public Option<int?> Threads { get; } = new("--threads", "-t") { Description = "CPU threads (default: physical cores)" };
    public Option<int> GpuLayers { get; } = new("--gpu-layers", "-ngl") { Description = "Layers on the GPU (-1 = all)", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Context);
        command.Options.Add(Threads);
        command.Options.Add(GpuLayers);
    }

    public TesseraModel Load(ParseResult r) => Load(r.GetValue(Model) ?? throw new CliException("give a model file with -m"), r);

    /// <summary>Loads -m, or gpt-oss-20b found or downloaded; a spinner shows the load in a terminal.</summary>
    public async Task<TesseraModel> LoadAsync(ParseResult r, TextWriter stderr, CancellationToken cancellationToken)
    {
        var path = r.GetValue(Model)
            ?? (_hub is null ? throw new CliException("give a model file with -m") : await DefaultModel.FindOrDownloadAsync(_hub, stderr, cancellationToken));
        var console = Format.Console(stderr);
        if (!console.Profile.Capabilities.Interactive) return Load(path, r);
        return console.Status().Start($"loading {Markup.Escape(Path.GetFileName(path))}", _ => Load(path, r));
    }

    private TesseraModel Load(string path, ParseResult r)
    {
        if (!File.Exists(path)) throw new CliException($"file not found: {path}");
        return TesseraModel.Load(path, new TesseraModelOptions
        {
            ContextSize = r.GetValue(Context),
            Threads = r.GetValue(Threads),
            GpuLayers = r.GetValue(GpuLayers),
        });
    }
}
