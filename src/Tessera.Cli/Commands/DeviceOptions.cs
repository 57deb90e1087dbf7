// `--device` and `-fa` as run, chat, serve and bench read them: llama.cpp's spellings and meanings, the library's
// messages. GPU layers and the other placement flags are PlacementOptions'.

using System.CommandLine;
using Tessera.Backends;

namespace Tessera.Cli.Commands;

internal static class DeviceOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "Where to run: auto (a CUDA GPU when one can be used, else the CPU), cpu or cuda",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string?> FlashAttention() => new("--flash-attn", "-fa")
    {
        Description = "Fused attention: on, off or auto (Tessera's attention is always fused, so off is refused)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>auto, cpu or cuda (also gpu, cuda:0); anything else is an error naming the accepted values.</summary>
    public static DeviceChoice ParseDevice(string? text) => BackendFactory.TryParse(text, out var choice)
        ? choice
        : throw new CliException($"--device must be auto, cpu or cuda, not \"{text}\"");

    /// <summary>llama.cpp's -fa values: on, off, auto (and 1, 0, true, false); the flag alone is on, an empty value is refused.</summary>
    public static bool ParseFlashAttention(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "on" or "auto" or "1" or "true" or "enabled" => true,
        "off" or "0" or "false" or "disabled" => false,
        _ => throw new CliException($"--flash-attn must be on, off or auto, not \"{text}\""),
    };
}
