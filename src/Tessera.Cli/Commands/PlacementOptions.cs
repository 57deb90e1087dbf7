// llama.cpp's placement flags as run, chat, serve, bench and plan read them: -ngl (not on bench, whose -ngl is a list),
// --cpu-moe, --n-cpu-moe, -ot (repeatable, each a comma-separated list of PATTERN=BUFFER) and Tessera's --gpu-memory.
// A bad value is refused naming the option as the user typed it (-ot or --override-tensor).

using System.CommandLine;
using Tessera.Placement;

namespace Tessera.Cli.Commands;

internal sealed class PlacementOptions
{
    public Option<int> GpuLayers { get; } = new("--gpu-layers", "-ngl", "--n-gpu-layers")
    {
        Description = "Blocks on the GPU, as llama.cpp counts them: -1 = all that fit (default), 0 = none (the CPU), N = the last N blocks (the output head too when N is above the block count)",
        DefaultValueFactory = _ => -1,
    };
    public Option<bool> CpuMoe { get; } = new("--cpu-moe", "-cmoe") { Description = "Keep every block's expert tensors in RAM (computed by the CPU)" };
    public Option<int> NCpuMoe { get; } = new("--n-cpu-moe", "-ncmoe") { Description = "Keep the expert tensors of the first N blocks in RAM" };
    public Option<string[]> OverrideTensor { get; } = new("--override-tensor", "-ot")
    {
        Description = "PATTERN=BUFFER: tensors whose names match the regular expression go to BUFFER (cpu or cuda); repeatable, comma-separated, first match wins",
    };
    public Option<string?> GpuMemory { get; } = new("--gpu-memory")
    {
        Description = "GPU memory the model may take, e.g. 8GiB, 7.5G or 6000MiB (default: what the driver reports free, less 256 MiB)",
    };

    /// <summary>Adds the options; <paramref name="lists"/> leaves out -ngl and --n-cpu-moe (bench takes lists of them).</summary>
    public void AddTo(Command command, bool lists = false)
    {
        if (!lists) command.Options.Add(GpuLayers);
        command.Options.Add(CpuMoe);
        if (!lists) command.Options.Add(NCpuMoe);
        command.Options.Add(OverrideTensor);
        command.Options.Add(GpuMemory);
    }

    /// <summary>The flags as a request, checked; bench gives its row's -ngl and --n-cpu-moe in place of the options.</summary>
    public PlacementRequest Request(ParseResult r, int? gpuLayers = null, int? cpuMoeBlocks = null)
    {
        int ngl = gpuLayers ?? r.GetValue(GpuLayers);
        if (ngl < -1) throw new CliException($"{Typed(r, GpuLayers)} must be -1 (all that fit), 0 (the CPU) or a count of blocks, not {ngl}");
        int nCpuMoe = cpuMoeBlocks ?? r.GetValue(NCpuMoe);
        if (nCpuMoe < 0) throw new CliException($"{Typed(r, NCpuMoe)} must be a count of blocks from 0 up, not {nCpuMoe}");
        var overrides = new List<TensorOverride>();
        foreach (var text in r.GetValue(OverrideTensor) ?? [])
        {
            try { overrides.AddRange(TensorOverride.ParseList(text, Typed(r, OverrideTensor))); }
            catch (FormatException e) { throw new CliException(e.Message); }
        }
        return new PlacementRequest { GpuLayers = ngl, CpuMoe = r.GetValue(CpuMoe), NCpuMoe = nCpuMoe, Overrides = overrides };
    }

    /// <summary>--gpu-memory in bytes, or null when not given.</summary>
    public long? GpuMemoryBytes(ParseResult r)
    {
        if (r.GetValue(GpuMemory) is not { } text) return null;
        try { return MemorySize.Parse(text, Typed(r, GpuMemory)); }
        catch (FormatException e) { throw new CliException(e.Message); }
    }

    /// <summary>The option's name as the user typed it (an alias such as -ot), else its name.</summary>
    public static string Typed(ParseResult r, Option option) => r.GetResult(option)?.IdentifierToken?.Value ?? option.Name;
}
