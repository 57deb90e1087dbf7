// Writes a gpt-oss GGUF with random weights (`tessera make-test-model`): the metadata keys, tensor names, types and
// alignment of ggml-org's gpt-oss-*-mxfp4.gguf (gpt-oss-facts.md §2), the real o200k_harmony vocabulary and the chat
// template. Weights are drawn straight in their block format at scales that keep a forward pass finite: every matrix
// maps unit-RMS inputs to outputs of about unit RMS, so routing is near uniform and logits stay small. Skewed routing
// replaces each layer's random router bias with one calibrated against the layer's router weights (SkewedRouter).
// The file streams to disk chunk by chunk (chunks are generated in parallel, each from its own seeded stream), so a
// 12 GB model never sits in memory and the same seed always gives the same bytes.

using System.Buffers.Binary;
using Tessera.Chat.Harmony;
using Tessera.Gguf;
using Tessera.Models.GptOss;
using Tessera.Quants;
using Tessera.Tokenization;
using static Tessera.Models.GptOss.GptOssTensorNames;

namespace Tessera.Synthetic;

/// <summary>Options for a synthetic gpt-oss model.</summary>
public sealed record SyntheticGptOssOptions
{
    /// <summary>The shape; see <see cref="GptOssHyperParameters.Presets"/>.</summary>
    public required GptOssHyperParameters HyperParameters { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>Type of the embedding, attention and output matrices (ggml-org: Q8_0). Q8_0, F16, BF16 or F32.</summary>
    public GgmlType MatrixType { get; init; } = GgmlType.Q8_0;
    /// <summary>Type of the expert tensors (ggml-org: MXFP4). MXFP4, Q8_0, F16, BF16 or F32.</summary>
    public GgmlType ExpertType { get; init; } = GgmlType.MXFP4;
    /// <summary>How the router spreads its picks over the experts: uniform (random biases, the default) or skewed as in real
    /// gpt-oss-20b. Only the router biases differ; every other tensor is the same for the same seed.</summary>
    public SyntheticRouting Routing { get; init; } = SyntheticRouting.Uniform;
    /// <summary>Value of <c>general.name</c>; defaults to one that says the weights are random.</summary>
    public string? Name { get; init; }
}

/// <summary>Generates gpt-oss GGUF files with random weights and the real tokenizer.</summary>
public static class SyntheticGptOss
{
    private static readonly GgmlType[] SupportedTypes = [GgmlType.Q8_0, GgmlType.MXFP4, GgmlType.F16, GgmlType.BF16, GgmlType.F32];
    private const int ChunkBytes = 8 << 20;

    // The random stream of a layer's router calibration: the bias tensor's stream at a chunk index no tensor reaches.
    private const ulong RouterCalibrationChunk = ulong.MaxValue;

    /// <summary>The writer for a synthetic model; call <see cref="GgufWriter.WriteTo(string, IProgress{long}?)"/> to stream it out.</summary>
    public static GgufWriter CreateWriter(SyntheticGptOssOptions options) => CreateWriter(options, out _);

    /// <summary>The writer for a synthetic model, and for skewed routing what each layer's calibration reached
    /// (<paramref name="routerCoverage"/>, empty for uniform routing).</summary>
    public static GgufWriter CreateWriter(SyntheticGptOssOptions options, out IReadOnlyList<SyntheticRouterCoverage> routerCoverage)
    {
        var hp = options.HyperParameters;
        hp.Validate();
        foreach (var t in new[] { options.MatrixType, options.ExpertType })
            if (!SupportedTypes.Contains(t))
                throw new ArgumentException($"synthetic weights can be {string.Join(", ", SupportedTypes)}; not {t}");
        if (options.MatrixType == GgmlType.MXFP4)
            throw new ArgumentException("MXFP4 is only used for expert tensors (as in ggml-org's files)");
        if (hp.VocabularySize != HarmonyTokens.VocabularySize)
            throw new ArgumentException($"the o200k_harmony vocabulary has {HarmonyTokens.VocabularySize} tokens; the shape says {hp.VocabularySize}");
        if (!Enum.IsDefined(options.Routing))
            throw new ArgumentException($"unknown routing {options.Routing}");

        var w = new GgufWriter();
        var sizeLabel = hp.BlockCount == 24 && hp.ExpertCount == 32 && hp.EmbeddingLength == 2880 ? "20B"
            : hp.BlockCount == 36 && hp.ExpertCount == 128 && hp.EmbeddingLength == 2880 ? "120B" : "synthetic";
        w.Add(GgufKeys.Architecture, GptOssHyperParameters.ArchitectureName);
        w.Add(GgufKeys.Type, "model");
        var routing = options.Routing == SyntheticRouting.Skewed ? ", skewed routing" : "";
        w.Add(GgufKeys.Name, options.Name ?? (sizeLabel == "synthetic" ? "Gpt Oss" : $"Gpt Oss {sizeLabel}") + $" (synthetic, random weights{routing}, seed {options.Seed})");
        w.Add(GgufKeys.Basename, "gpt-oss");
        w.Add(GgufKeys.SizeLabel, sizeLabel);
        w.Add(GgufKeys.License, "apache-2.0");
        w.Add(GgufKeys.Tags, GgufValue.Array(new[] { "vllm", "text-generation" }));
        foreach (var (key, value) in hp.ToMetadata()) w.Add(key, value);

        var vocab = O200kHarmonyVocabulary.Load();
        w.Add(GgufKeys.TokenizerModel, O200kHarmonyVocabulary.TokenizerModel);
        w.Add(GgufKeys.TokenizerPre, O200kHarmonyVocabulary.PreTokenizer);
        w.Add(GgufKeys.TokenizerTokens, GgufValue.Array(vocab.Tokens.ToArray()));
        w.Add(GgufKeys.TokenizerTokenType, GgufValue.Array(vocab.TokenTypes.ToArray()));
        w.Add(GgufKeys.TokenizerMerges, GgufValue.Array(vocab.Merges.ToArray()));
        w.Add(GgufKeys.TokenizerBosId, (uint)O200kHarmonyVocabulary.BosId);
        w.Add(GgufKeys.TokenizerEosId, (uint)O200kHarmonyVocabulary.EosId);
        w.Add(GgufKeys.TokenizerPaddingId, (uint)O200kHarmonyVocabulary.PadId);
        w.Add(GgufKeys.ChatTemplate, ChatTemplate.GptOss);
        w.Add(GgufKeys.QuantizationVersion, 2u);
        w.Add(GgufKeys.FileType, FileType(options));

        var tensors = GptOssLayout.Tensors(hp, options.MatrixType, options.ExpertType);
        routerCoverage = [];
        var routerBiases = options.Routing == SyntheticRouting.Skewed ? CalibrateRouters(options, tensors, out routerCoverage) : null;
        for (var i = 0; i < tensors.Count; i++)
        {
            var spec = tensors[i];
            var stream = (ulong)i;
            if (routerBiases is not null && routerBiases.TryGetValue(spec.Name, out var bias))
                w.AddTensor(spec.Name, spec.Dimensions, bias);
            else
                w.AddTensor(spec.Name, spec.Type, spec.Dimensions, s => WriteTensor(s, spec, options.Seed, stream));
        }
        return w;
    }

    /// <summary>Writes a synthetic model to <paramref name="path"/>.</summary>
    public static void Write(string path, SyntheticGptOssOptions options, IProgress<long>? bytesWritten = null) =>
        CreateWriter(options).WriteTo(path, bytesWritten);

    // Skewed routing: each layer's router bias, by tensor name, calibrated against the router weight and post-attention norm
    // that the file will hold. Layers are independent, each with its own random stream, so they run in parallel.
    private static Dictionary<string, float[]> CalibrateRouters(SyntheticGptOssOptions options, IReadOnlyList<GptOssTensorSpec> tensors,
        out IReadOnlyList<SyntheticRouterCoverage> coverage)
    {
        var hp = options.HyperParameters;
        var index = Enumerable.Range(0, tensors.Count).ToDictionary(i => tensors[i].Name);
        float[] Draw(int layer, string name)
        {
            var i = index[Block(layer, name)];
            return DrawValues(tensors[i], options.Seed, (ulong)i);
        }
        var layers = new (float[] Bias, double[] Coverage)[hp.BlockCount];
        Parallel.For(0, hp.BlockCount, il =>
        {
            var rng = Xoshiro256.ForStream(options.Seed, (ulong)index[Block(il, FfnGateInpBias)], RouterCalibrationChunk);
            layers[il] = SkewedRouter.Calibrate(Draw(il, FfnGateInp), Draw(il, PostAttentionNorm), hp.ExpertCount, hp.ExpertUsedCount,
                hp.RmsNormEpsilon, rng);
        });
        var experts = SkewedRouter.CoverageExperts(hp.ExpertCount);
        coverage = [.. layers.Select((l, il) => new SyntheticRouterCoverage(il, experts, l.Coverage))];
        return Enumerable.Range(0, hp.BlockCount).ToDictionary(il => Block(il, FfnGateInpBias), il => layers[il].Bias);
    }

    // The values WriteTensor draws for a tensor, dequantised: what a reader of the file will see.
    private static float[] DrawValues(GptOssTensorSpec spec, ulong seed, ulong tensorIndex)
    {
        using var bytes = new MemoryStream();
        WriteTensor(bytes, spec, seed, tensorIndex);
        var values = new float[spec.Dimensions.Aggregate(1L, (a, d) => a * d)];
        BlockFormats.Get(spec.Type).DequantizeRow(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), values);
        return values;
    }

    // llama_ftype: 38 MOSTLY_MXFP4_MOE for ggml-org's mix, else by the matrix type.
    private static uint FileType(SyntheticGptOssOptions o) => o.ExpertType == GgmlType.MXFP4 ? 38u : o.MatrixType switch
    {
        GgmlType.F32 => 0u, GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, GgmlType.BF16 => 32u, _ => 0u,
    };

    private static void WriteTensor(Stream destination, GptOssTensorSpec spec, ulong seed, ulong tensorIndex)
    {
        var type = GgmlTypeInfo.Get(spec.Type);
        var rowBytes = type.RowBytes(spec.Dimensions[0]);
        var rows = spec.Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d);
        var rowsPerChunk = (int)Math.Max(1, ChunkBytes / rowBytes);
        var chunkCount = (rows + rowsPerChunk - 1) / rowsPerChunk;
        var scale = Scale(spec);
        var parallel = Math.Max(1, Environment.ProcessorCount);
        var buffers = new byte[Math.Min(parallel, chunkCount)][];
        for (long first = 0; first < chunkCount; first += buffers.Length)
        {
            var batch = (int)Math.Min(buffers.Length, chunkCount - first);
            Parallel.For(0, batch, j =>
            {
                var chunk = first + j;
                var chunkRows = (int)Math.Min(rowsPerChunk, rows - chunk * rowsPerChunk);
                var bytes = buffers[j] ??= new byte[rowsPerChunk * rowBytes];
                var rng = Xoshiro256.ForStream(seed, tensorIndex, (ulong)chunk);
                Fill(bytes.AsSpan(0, (int)(chunkRows * rowBytes)), spec, scale, ref rng);
            });
            for (var j = 0; j < batch; j++)
            {
                var chunkRows = (int)Math.Min(rowsPerChunk, rows - (first + j) * rowsPerChunk);
                destination.Write(buffers[j], 0, (int)(chunkRows * rowBytes));
            }
        }
    }

    /// <summary>Standard deviation of the values (for norms: of the deviation from 1).</summary>
    private static float Scale(GptOssTensorSpec spec) => spec.Role switch
    {
        GptOssTensorRole.Embedding => 1f,
        GptOssTensorRole.Matrix => 1f / MathF.Sqrt(spec.Dimensions[0]),
        GptOssTensorRole.Bias => 0.05f,
        GptOssTensorRole.Norm => 0.1f,
        GptOssTensorRole.Sinks => 1f,
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };

    private static void Fill(Span<byte> dst, GptOssTensorSpec spec, float std, ref Xoshiro256 rng)
    {
        var offset = spec.Role == GptOssTensorRole.Norm ? 1f : 0f;
        var uniform = std * MathF.Sqrt(3f);   // U(−a, a) has standard deviation a/√3
        switch (spec.Type)
        {
            case GgmlType.Q8_0:
                // q uniform over −127..127 (RMS ≈ 73.3); d varies ±20% between blocks.
                for (var b = 0; b + 34 <= dst.Length; b += 34)
                {
                    var d = std / 73.3f * (1f + 0.2f * rng.NextSigned());
                    BinaryPrimitives.WriteUInt16LittleEndian(dst[b..], BitConverter.HalfToUInt16Bits((Half)d));
                    var q = dst.Slice(b + 2, 32);
                    rng.Fill(q);
                    for (var k = 0; k < 32; k++) if (q[k] == 0x80) q[k] = 0x81;   // −128 is outside ggml's quantiser range
                }
                break;
            case GgmlType.MXFP4:
            {
                // Nibbles uniform over the E2M1 grid (RMS 2.93 in ggml's doubled units); one shared exponent per tensor
                // chosen so that 2.93 · 2^(e−128) is the wanted standard deviation.
                var e = (byte)Math.Clamp(128 + (int)MathF.Round(MathF.Log2(std / 2.93f)), 1, 254);
                for (var b = 0; b + 17 <= dst.Length; b += 17)
                {
                    dst[b] = e;
                    rng.Fill(dst.Slice(b + 1, 16));
                }
                break;
            }
            case GgmlType.F32:
                for (var i = 0; i + 4 <= dst.Length; i += 4)
                    BinaryPrimitives.WriteSingleLittleEndian(dst[i..], offset + uniform * rng.NextSigned());
                break;
            case GgmlType.F16:
                for (var i = 0; i + 2 <= dst.Length; i += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(dst[i..], BitConverter.HalfToUInt16Bits((Half)(offset + uniform * rng.NextSigned())));
                break;
            case GgmlType.BF16:
                for (var i = 0; i + 2 <= dst.Length; i += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(dst[i..], (ushort)(BitConverter.SingleToUInt32Bits(offset + uniform * rng.NextSigned()) >> 16));
                break;
            default:
                throw new NotSupportedException($"synthetic {spec.Type} weights");
        }
    }
}
