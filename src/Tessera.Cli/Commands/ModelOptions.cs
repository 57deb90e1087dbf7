// Options shared by the commands that load a model: the model (-m FILE or NAME, llama.cpp's -hf REPO[:QUANT]; see
// ModelReference), context size, threads, device, flash attention (DeviceOptions reads them as llama.cpp spells them) and
// llama.cpp's placement flags with --gpu-memory (PlacementOptions). The loader's note (why `--device auto` runs on the
// CPU) goes to stderr. Commands made with FindingGptOss20b take no model at all as "gpt-oss-20b from this machine's
// model folders, else downloaded" (DefaultModel).

using System.CommandLine;
using Spectre.Console;
using Tessera.Hub;

namespace Tessera.Cli.Commands;

internal sealed class ModelOptions
{
    private readonly HubEnvironment _hub;
    private readonly bool _findDefault;

    /// <summary>Options whose model must be given (-m or -hf).</summary>
    public ModelOptions(HubEnvironment hub) : this(hub, findDefault: false) { }

    private ModelOptions(HubEnvironment hub, bool findDefault)
    {
        _hub = hub;
        _findDefault = findDefault;
        Model = new("--model", "-m")
        {
            Description = "GGUF model file, or a name tessera list shows (OWNER/REPO:FILE, OWNER/REPO:QUANT, an Ollama MODEL:TAG)"
                + (findDefault ? "; default: gpt-oss-20b from Tessera's, LM Studio's, Hugging Face's, llama.cpp's or Ollama's folders, else downloaded" : ""),
        };
    }

    /// <summary>Options whose model may be left out: then gpt-oss-20b is found or downloaded.</summary>
    public static ModelOptions FindingGptOss20b(HubEnvironment hub) => new(hub, findDefault: true);

    public Option<string> Model { get; }
    public HuggingFaceOptions HuggingFace { get; } = new();
    public Option<int> Context { get; } = new("--ctx-size", "-c", "--ctx") { Description = "Context size in tokens", DefaultValueFactory = _ => 4096 };
    public Option<int?> Threads { get; } = new("--threads", "-t") { Description = "CPU threads (default: physical cores)" };
    public Option<string> Device { get; } = DeviceOptions.Device();
    public PlacementOptions Placement { get; } = new();
    public Option<string?> FlashAttention { get; } = DeviceOptions.FlashAttention();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        HuggingFace.AddTo(command);
        command.Options.Add(Context);
        command.Options.Add(Threads);
        command.Options.Add(Device);
        command.Options.Add(FlashAttention);
        Placement.AddTo(command);
    }

    /// <summary>The device line run and serve print first: what the model runs on and, on a GPU, where its weights went.</summary>
    public static void WriteDevice(TesseraModel model, TextWriter stderr)
    {
        stderr.WriteLine($"device: {model.BackendName}");
        if (model.PlacementSummary is { } placement) stderr.WriteLine(placement);
    }

    /// <summary>Loads -m or -hf, or gpt-oss-20b found or downloaded; a progress bar (the share of the weights loaded)
    /// shows the load in a terminal and goes when it is done; nothing is drawn when stderr is redirected.</summary>
    public async Task<TesseraModel> LoadAsync(ParseResult r, TextWriter stderr, CancellationToken cancellationToken)
    {
        var options = Options(r, stderr);   // a bad --device or -fa fails before a download
        var resolved = await ModelReference.ResolveAsync(r.GetValue(Model), HuggingFace.Reference(r), _hub, stderr, _findDefault, cancellationToken);
        if (resolved.Alias is { } alias) options = options with { Alias = alias };
        var console = Format.Console(stderr);
        var name = Path.GetFileName(resolved.Path);
        var model = console.Profile.Capabilities.Interactive
            ? console.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"loading {Markup.Escape(name)}", maxValue: 1);
                    return Load(resolved.Path, options with { LoadProgress = new SyncProgress<double>(share => task.Value = share) });
                })
            : Load(resolved.Path, options);
        if (model.PlacementNote is { } note) stderr.WriteLine(note);
        return model;
    }

    /// <summary>The options the command line asks for, checked before anything is loaded or downloaded.</summary>
    private TesseraModelOptions Options(ParseResult r, TextWriter stderr)
    {
        var placement = Placement.Request(r);
        var options = new TesseraModelOptions
        {
            ContextSize = CheckContext(r, Context),
            Threads = CheckThreads(r, Threads, stderr),
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

    /// <summary>-c as typed, at least 16 tokens.</summary>
    public static int CheckContext(ParseResult r, Option<int> option)
    {
        int ctx = r.GetValue(option);
        return ctx >= 16 ? ctx : throw new CliException($"{PlacementOptions.Typed(r, option)} must be at least 16 tokens, not {ctx}");
    }

    /// <summary>-t as typed: 1 to 1024, with a warning when it is well above the processors this machine has (threads
    /// beyond the cores wait on each other: llama.cpp's advice is the physical core count).</summary>
    public static int? CheckThreads(ParseResult r, Option<int?> option, TextWriter stderr) =>
        CheckThreads(r.GetValue(option), PlacementOptions.Typed(r, option), stderr);

    public static int? CheckThreads(int? threads, string typed, TextWriter stderr)
    {
        if (threads is not { } t) return null;
        if (t is < 1 or > 1024) throw new CliException($"{typed} must be between 1 and 1024 threads, not {t}");
        if (t > Environment.ProcessorCount)
            stderr.WriteLine($"warning: {typed} {t} is more than the {Environment.ProcessorCount} processors of this machine; "
                + $"threads beyond the cores slow generation down (the default, {new TesseraModelOptions().EffectiveThreads}, is one per physical core)");
        return t;
    }

    private static TesseraModel Load(string path, TesseraModelOptions options)
    {
        return TesseraModel.Load(ModelReference.RequireFile(path), options);
    }
}
