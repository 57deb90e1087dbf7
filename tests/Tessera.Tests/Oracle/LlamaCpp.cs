// llama.cpp through LLamaSharp, the oracle the engine is checked against: loads models quietly on the CPU.

using LLama;
using LLama.Common;
using LLama.Native;

namespace Tessera.Tests.Oracle;

internal static class LlamaCpp
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        // ggml's AVX2 build on every x86 machine: its arithmetic does not then depend on the CPU the tests run on, and
        // Tessera's CPU reference reproduces its summation order (Backends/Cpu/AttentionWithSinks.cs).
        NativeLibraryConfig.All.WithAvx(AvxLevel.Avx2);
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error) Console.Error.Write("llama.cpp: " + message);
        });
        // The native library is resolved in NativeApi's static constructor; calls through other classes (the quantizer)
        // fail if they come first.
        NativeApi.llama_empty_call();
        return true;
    });

    /// <summary>Loads llama.cpp's native library (quietly) if not yet loaded.</summary>
    public static void EnsureLoaded() => _ = Configured.Value;

    public static LLamaWeights Load(string path, uint contextSize = 512)
    {
        _ = Configured.Value;
        return LLamaWeights.LoadFromFile(Params(path, contextSize));
    }

    public static ModelParams Params(string path, uint contextSize = 512) => new(path)
    {
        ContextSize = contextSize,
        GpuLayerCount = 0,
        BatchSize = 512,
        Threads = Math.Max(1, Environment.ProcessorCount),
    };
}
