// Options shared by the commands that load a model: file, context size, threads, GPU layers.

using System.CommandLine;

namespace Tessera.Cli.Commands;

internal sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model", "-m") { Description = "GGUF model file", Required = true };
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

    public TesseraModel Load(ParseResult r)
    {
        var path = r.GetValue(Model)!;
        if (!File.Exists(path)) throw new CliException($"file not found: {path}");
        return TesseraModel.Load(path, new TesseraModelOptions
        {
            ContextSize = r.GetValue(Context),
            Threads = r.GetValue(Threads),
            GpuLayers = r.GetValue(GpuLayers),
        });
    }
}
