// Options shared by the commands that load a model: file, context size, threads, device, flash attention (DeviceOptions
// reads them as llama.cpp spells them) and llama.cpp's placement flags with --gpu-memory (PlacementOptions). The
// loader's note (why `--device auto` runs on the CPU) goes to stderr. Commands made with
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
    public Option<int> Context { get; } = new("--ctx-size", "-c", "--ctx") { Description = "Context size in tokens", DefaultValueFactory = _ => 4096 };
    public Option<int?> Threads { get; } = new("--threads", "-t") { Description = "CPU threads (default: physical cores)" };
    public Option<string> Device { get; } = DeviceOptions.Device();
    public PlacementOptions Placement { get; } = new();
    public Option<string?> FlashAttention { get; } = DeviceOptions.FlashAttention();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Context);
        command.Options.Add(Threads);
        command.Options.Add(Device);
        command.Options.Add(FlashAttention);
        Placement.AddTo(command);
    }

    /// <summary>Loads -m; the loader's note goes to <paramref name="stderr"/>.</summary>
    public TesseraModel Load(ParseResult r, TextWriter stderr)
    {
        var model = Load(r.GetValue(Model) ?? throw new CliException("give a model file with -m"), Options(r));
        if (model.PlacementNote is { } note) stderr.WriteLine(note);
        return model;
    }

    /// <summary>The device line run and serve print first: what the model runs on and, on a GPU, where its weights went.</summary>
    public static void WriteDevice(TesseraModel model, TextWriter stderr)
    {
        stderr.WriteLine($"device: {model.BackendName}");
        if (model.PlacementSummary is { } placement) stderr.WriteLine(placement);
    }

    /// <summary>Loads -m, or gpt-oss-20b found or downloaded; a spinner shows the load in a terminal.</summary>
    public async Task<TesseraModel> LoadAsync(ParseResult r, TextWriter stderr, CancellationToken cancellationToken)
    {
        var options = Options(r);   // a bad --device or -fa fails before a download
        var path = r.GetValue(Model)
            ?? (_hub is null ? throw new CliException("give a model file with -m") : await DefaultModel.FindOrDownloadAsync(_hub, stderr, cancellationToken));
        var console = Format.Console(stderr);
        var model = console.Profile.Capabilities.Interactive
            ? console.Status().Start($"loading {Markup.Escape(Path.GetFileName(path))}", _ => Load(path, options))
            : Load(path, options);
        if (model.PlacementNote is { } note) stderr.WriteLine(note);
        return model;
    }

    /// <summary>The options the command line asks for, checked before anything is loaded or downloaded.</summary>
    private TesseraModelOptions Options(ParseResult r)
    {
        var placement = Placement.Request(r);
        var options = new TesseraModelOptions
        {
            ContextSize = r.GetValue(Context),
            Threads = r.GetValue(Threads),
            Device = DeviceOptions.ParseDevice(r.GetValue(Device)),
            FlashAttention = DeviceOptions.ParseFlashAttention(r.GetValue(FlashAttention)),
            GpuLayers = placement.GpuLayers,
            CpuMoe = placement.CpuMoe,
            NCpuMoe = placement.NCpuMoe,
            TensorOverrides = placement.Overrides,
            GpuMemory = Placement.GpuMemoryBytes(r),
        };
        options.Validate();
        return options;
    }

    private static TesseraModel Load(string path, TesseraModelOptions options)
    {
        if (Directory.Exists(path)) throw new CliException($"{path} is a directory, not a model file: give the path of a .gguf file (tessera list shows the ones found)");
        if (!File.Exists(path)) throw new CliException($"file not found: {path}");
        return TesseraModel.Load(path, options);
    }
}
