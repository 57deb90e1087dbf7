// Chooses the forward pass for a GGUF file's architecture and places it on a backend: the whole model on a CUDA GPU or
// on the CPU (placing some layers or tensors on each comes with hybrid placement). GPU layers keep llama.cpp's meaning:
// 0 is the CPU, -1 or the layer count is everything on the GPU.

using Tessera.Backends;
using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera;

internal static class ModelLoader
{
    /// <summary>The predictor for the model in <paramref name="path"/>; <paramref name="file"/> is the same file, already open.</summary>
    public static ITokenPredictor CreatePredictor(string path, GgufFile file, TesseraModelOptions options, out string? note)
    {
        var architecture = file[GgufKeys.Architecture]?.Raw as string;
        if (architecture != GptOssHyperParameters.ArchitectureName)
            throw new NotSupportedException($"model architecture \"{architecture ?? "(none)"}\" is not supported: Tessera runs gpt-oss models");
        var hp = GptOssHyperParameters.FromGguf(file);
        if (options.ContextSize > hp.ContextLength)
            throw new ArgumentException($"context size {options.ContextSize} is larger than the model's training context ({hp.ContextLength})");
        var device = options.DeviceFor(hp.BlockCount);
        return GptOssPredictor.Open(path, new GptOssPredictorOptions
        {
            ContextSize = options.ContextSize,
            Threads = options.EffectiveThreads,
            KvCacheType = options.KvCacheF16 ? GgmlType.F16 : GgmlType.F32,
            Device = device,
        }, out note);
    }
}
