// All weights of a gpt-oss model, taken in place from a GGUF file and checked against the tensor table (GptOssLayout) for
// the file's own hyperparameters: a missing tensor, a wrong shape or a type Tessera cannot compute with is a
// GgufFormatException naming the tensor. Norms, biases and sinks must be F32 (as every converter writes them); matrices
// and the embedding may be any type Tessera can dequantise.

using Tessera.Backends;
using Tessera.Gguf;
using Tessera.Quants;
using static Tessera.Models.GptOss.GptOssTensorNames;

namespace Tessera.Models.GptOss;

/// <summary>The weights of a gpt-oss model.</summary>
public sealed class GptOssWeights
{
    public required WeightTensor TokenEmbd { get; init; }    // {n_embd, n_vocab}, rows looked up

    /// <summary>Whether the backend looks up <see cref="TokenEmbd"/>'s rows itself (<see cref="IBackend.ReadHostTableInPlace"/>);
    /// otherwise the forward pass looks them up on the host and writes them.</summary>
    public bool TokenEmbdOnBackend { get; init; } = true;
    public required IReadOnlyList<GptOssLayerWeights> Layers { get; init; }
    public required WeightTensor OutputNorm { get; init; }   // {n_embd} F32
    public required WeightTensor Output { get; init; }       // {n_embd, n_vocab}, the untied head

    /// <summary>Maps the weights of <paramref name="file"/> (which must stay open while they are used) and hands each to
    /// <paramref name="backend"/>'s <see cref="IBackend.Load"/> (the CPU keeps the mapping; a GPU copies it to its memory);
    /// <paramref name="progress"/> receives the share of the weights' bytes loaded after each tensor.</summary>
    /// <exception cref="GgufFormatException">A tensor is missing, mis-shaped or of an unusable type.</exception>
    public static GptOssWeights Load(GgufFile file, GptOssHyperParameters hp, IBackend? backend = null, IProgress<double>? progress = null)
    {
        var specs = GptOssLayout.Tensors(hp).ToDictionary(s => s.Name);
        long total = specs.Keys.Sum(name => file.FindTensor(name)?.ByteSize ?? 0), done = 0;

        WeightTensor Get(string name, bool stayOnHost = false)
        {
            var spec = specs[name];
            var field = $"tensor \"{name}\"";
            var info = file.FindTensor(name) ?? throw new GgufFormatException(field, -1, name.Contains(".attn_q.")
                ? "missing (a fused attn_qkv tensor is not supported)" : "missing: every gpt-oss GGUF has it");
            if (!info.Dimensions.SequenceEqual(spec.Dimensions))
                throw new GgufFormatException(field, -1,
                    $"shape is {info.ShapeText} but the file's hyperparameters need {{{string.Join(", ", spec.Dimensions)}}}");
            if (spec.Role is GptOssTensorRole.Norm or GptOssTensorRole.Bias or GptOssTensorRole.Sinks)
            {
                if (info.Type != GgmlType.F32)
                    throw new GgufFormatException(field, -1, $"type is {info.Type}; norms, biases and sinks must be F32");
            }
            else if (!BlockFormats.TryGet(info.Type, out _))
                throw new GgufFormatException(field, -1, $"type {info.Type}: Tessera has no kernels for it yet");
            var mapped = WeightTensor.Mapped(file, info);
            var loaded = backend is null || stayOnHost ? mapped : backend.Load(mapped);
            done += info.ByteSize;
            progress?.Report(total > 0 ? (double)done / total : 1);
            return loaded;
        }

        var layers = new GptOssLayerWeights[hp.BlockCount];
        for (int il = 0; il < layers.Length; il++)
        {
            WeightTensor L(string name) => Get(Block(il, name));
            layers[il] = new GptOssLayerWeights
            {
                AttnNorm = L(AttnNorm),
                AttnQ = L(AttnQ), AttnQBias = L(AttnQBias),
                AttnK = L(AttnK), AttnKBias = L(AttnKBias),
                AttnV = L(AttnV), AttnVBias = L(AttnVBias),
                AttnOutput = L(AttnOutput), AttnOutputBias = L(AttnOutputBias),
                AttnSinks = L(AttnSinks),
                PostAttentionNorm = L(PostAttentionNorm),
                FfnGateInp = L(FfnGateInp), FfnGateInpBias = L(FfnGateInpBias),
                FfnGateExps = L(FfnGateExps), FfnGateExpsBias = L(FfnGateExpsBias),
                FfnUpExps = L(FfnUpExps), FfnUpExpsBias = L(FfnUpExpsBias),
                FfnDownExps = L(FfnDownExps), FfnDownExpsBias = L(FfnDownExpsBias),
            };
        }
        // One row per token is read: the embedding stays in host memory on every backend (0.6 GB of VRAM saved for 20b),
        // read there by the backend's own lookup where it can (a GPU over the bus).
        var tokenEmbd = Get(TokenEmbedding, stayOnHost: true);
        bool onBackend = backend is null || backend.ReadHostTableInPlace(tokenEmbd);
        var weights = new GptOssWeights
        {
            TokenEmbd = tokenEmbd,
            TokenEmbdOnBackend = onBackend,
            Layers = layers,
            OutputNorm = Get(GptOssTensorNames.OutputNorm),
            Output = Get(GptOssTensorNames.Output),
        };
        // A device backend that cannot read the table looks it up on the host before each step: its pages mapped now, not
        // a fault a token.
        if (!onBackend && backend!.Device != Device.Cpu) weights.TokenEmbd.MapPages();
        backend?.LoadDone();
        return weights;
    }
}
