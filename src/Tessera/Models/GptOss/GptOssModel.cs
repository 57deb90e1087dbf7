// The gpt-oss forward pass (gpt-oss-facts.md §4; llama.cpp src/models/openai-moe.cpp), written in the order the data flows:
// embed, then per block attention with sinks and MoE, each pre-normed and added to the residual stream, then the final
// norm and the head. Every op runs on the model's backend; the KV cache decides where keys and values go.

using Tessera.Backends;
using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Quants;

namespace Tessera.Models.GptOss;

/// <summary>A gpt-oss model: hyperparameters and weights from a GGUF file, and its forward pass on a backend.</summary>
public sealed class GptOssModel : IDisposable
{
    /// <summary>SwiGLU-OAI constants (llama.cpp build_moe_ffn, OpenAI's reference): sigmoid slope and clamp.</summary>
    public const float SwiGluAlpha = 1.702f, SwiGluLimit = 7f;

    private readonly GgufFile? _ownedFile;

    // Scratch of single-token passes, kept so that decoding allocates nothing; of batches, allocated for the largest so
    // far (_pool), and the views of it for the last batch size (_batch, or the pool itself).
    private GptOssActivations? _single, _pool, _batch;

    private GptOssModel(GgufFile file, IBackend backend, bool ownsFile, IProgress<double>? progress = null)
    {
        HyperParameters = GptOssHyperParameters.FromGguf(file);
        Weights = GptOssWeights.Load(file, HyperParameters, backend, progress);
        Backend = backend;
        var hp = HyperParameters;
        // llama.cpp reads neither rope.dimension_count nor the YaRN betas for this architecture: n_rot = head size, β 32/1.
        Rope = new YarnRope(hp.KeyLength, hp.RopeFreqBase, hp.RopeScalingFactor,
            hp.RopeOriginalContextLength != 0 ? hp.RopeOriginalContextLength : hp.ContextLength);
        KqScale = 1f / MathF.Sqrt(hp.KeyLength);
        _ownedFile = ownsFile ? file : null;
    }

    /// <summary>A model over the tensors of an open file, which must outlive it.</summary>
    public static GptOssModel Load(GgufFile file, IBackend backend) => new(file, backend, ownsFile: false);

    /// <summary>Opens <paramref name="path"/> and maps its weights; the model owns the file.</summary>
    public static GptOssModel Open(string path, IBackend backend, IProgress<double>? progress = null)
    {
        var file = GgufFile.Open(path);
        try { return new GptOssModel(file, backend, ownsFile: true, progress); }
        catch { file.Dispose(); throw; }
    }

    public GptOssHyperParameters HyperParameters { get; }
    public GptOssWeights Weights { get; }
    public IBackend Backend { get; }

    /// <summary>YaRN RoPE as llama.cpp applies it to every layer.</summary>
    public YarnRope Rope { get; }

    /// <summary>Factor on q·k: 1/√d.</summary>
    public float KqScale { get; }

    /// <summary>Sliding window of layer <paramref name="layer"/>, or 0 for full attention.</summary>
    public int Window(int layer) => GptOssHyperParameters.IsSlidingWindowLayer(layer) ? HyperParameters.SlidingWindow : 0;

    /// <summary>A KV cache for this model on its backend.</summary>
    public KvCache CreateCache(int contextSize, int maxBatch, GgmlType type = GgmlType.F16)
    {
        var hp = HyperParameters;
        if (contextSize < 1 || contextSize > hp.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextSize), $"the context size must be within 1..{hp.ContextLength} (the model's context_length), not {contextSize}");
        return new KvCache(Backend, Enumerable.Range(0, hp.BlockCount).Select(Window).ToArray(), hp.HeadCountKv * hp.KeyLength, contextSize, maxBatch, type);
    }

    /// <summary>Runs <paramref name="tokens"/> at the cache's next positions, stores their keys and values, and returns the
    /// logits [T − firstOutput × vocab] of rows <paramref name="firstOutput"/>..T−1 (null when firstOutput = T). The logits
    /// tensor belongs to the model and holds its values until the next call.</summary>
    public BackendTensor? Forward(ReadOnlySpan<int> tokens, KvCache cache, int firstOutput, CancellationToken cancellationToken = default)
    {
        var b = Backend;
        int n = tokens.Length;
        ArgumentOutOfRangeException.ThrowIfZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)firstOutput, (uint)n, nameof(firstOutput));
        // The step's inputs go into backend tensors once: token ids here, positions and KV slots as the cache claims them.
        var a = Scratch(n);
        b.Write(tokens, a.TokenIds);
        cache.Append(n);
        // Embedding: a row of token_embd per token, no scaling. A table the backend cannot read is looked up here and the
        // rows written once, outside any recorded step.
        bool hostEmbedding = !Weights.TokenEmbdOnBackend;
        if (hostEmbedding) LookUpOnHost(tokens, a.H);
        int rows = n - firstOutput;
        var head = rows == 0 ? null : a.Head(rows);

        // A decode step (one token, its logits) depends on nothing but backend tensors, so a backend that records steps
        // (CUDA graphs) runs the same recording for every token of this cache.
        if (n == 1 && rows == 1 && b.CanRecordSteps)
        {
            if (b.TryReplayStep(cache))
                return head!.Logits;
            if (b.BeginStepRecording(cache))
            {
                try { Layers(a, cache, firstOutput, head, hostEmbedding, cancellationToken); }
                catch { b.AbortStepRecording(); throw; }
                b.EndStepRecording(cache);
                return head!.Logits;
            }
        }
        Layers(a, cache, firstOutput, head, hostEmbedding, cancellationToken);
        return head?.Logits;
    }

    private void Layers(GptOssActivations a, KvCache cache, int firstOutput, GptOssActivations.HeadScratch? head, bool hostEmbedding,
        CancellationToken cancellationToken)
    {
        var (hp, w, b) = (HyperParameters, Weights, Backend);
        var positions = cache.BatchPositions;

        // Embedding: a row of token_embd per token, no scaling.
        if (!hostEmbedding) b.GetRows(w.TokenEmbd, a.TokenIds, a.H);

        for (int il = 0; il < hp.BlockCount; il++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Block(il, a, cache, positions);
        }

        // Head: final RMSNorm and the output matrix, only for the rows that want logits.
        if (head is null)
            return;
        b.CopyRows(a.H, firstOutput, head.Last, 0, head.Last.Rows);
        b.RmsNorm(head.Last, w.OutputNorm, hp.RmsNormEpsilon, head.Normed);
        b.MatMul(w.Output, head.Normed, head.Logits);
    }

    // One transformer block over the batch in `a`: attention, then the experts, each pre-normed and added to the residual
    // stream a.H.
    private void Block(int il, GptOssActivations a, KvCache cache, BackendTensor positions)
    {
        var (hp, b) = (HyperParameters, Backend);
        var layer = Weights.Layers[il];
        var kv = cache.Layer(il);

        // Attention: RMSNorm, Q/K/V projections with biases, YaRN RoPE (NEOX) on Q and K, keys and values into the cache.
        b.RmsNorm(a.H, layer.AttnNorm, hp.RmsNormEpsilon, a.X);
        b.MatMulManyBias(layer.AttnQkv, layer.AttnQkvBias, a.X, a.Qkv);
        b.RopeStore(a.Q, a.K, a.V, positions, Rope, kv.Keys, kv.Values, kv.BatchSlotTensor);
        kv.StoreHistory(b, a.K, a.V);   // sliding-window layers: every position kept beside the ring (KvCache)

        // Grouped-query attention with a sink logit per head; even layers see only the last sliding_window positions.
        b.Attention(a.Q, kv.Keys, kv.Values, positions, kv.SlotPositionTensor, kv.SlotsInUse, kv.Window, layer.AttnSinks, KqScale, a.Attn,
            slotsByPosition: true);
        b.MatMulBiasAdd(layer.AttnOutput, layer.AttnOutputBias, a.Attn, a.X, a.H);

        // Router: RMSNorm, biased logits, the top k experts by logit and a softmax over those k.
        b.RmsNorm(a.H, layer.PostAttentionNorm, hp.RmsNormEpsilon, a.X);
        b.Route(layer.FfnGateInp, layer.FfnGateInpBias, a.X, a.RouterLogits, a.Experts, a.ExpertWeights);

        // Experts: SwiGLU-OAI(gate, up), then down, each with its expert's bias; outputs weighted, summed, added.
        b.ExpertsGateUp(layer.FfnGateExps, layer.FfnGateExpsBias, layer.FfnUpExps, layer.FfnUpExpsBias, a.X, a.Experts,
            a.Gate, a.Up, SwiGluAlpha, SwiGluLimit, a.Act);
        b.ExpertsDownAdd(layer.FfnDownExps, layer.FfnDownExpsBias, a.Act, a.Experts, a.ExpertWeights, a.Down, a.X, a.H);
    }

    /// <summary>Runs block <paramref name="layer"/> alone, for comparing backends layer by layer given the same input:
    /// <paramref name="input"/> is the residual stream entering it ([T × n_embd], T ≥ 1 rows) at the cache's next T
    /// positions, <paramref name="output"/> receives the stream leaving it, and <paramref name="experts"/>, when not empty,
    /// the experts each row chose ([T × k], best first). Only that layer's keys and values are written; the other layers'
    /// slots for these positions are claimed and left unwritten, so a cache used here is not for <see cref="Forward"/>.</summary>
    public void ForwardBlock(int layer, ReadOnlySpan<float> input, KvCache cache, Span<float> output, Span<int> experts = default)
    {
        var hp = HyperParameters;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)layer, (uint)hp.BlockCount, nameof(layer));
        int width = hp.EmbeddingLength;
        if (input.IsEmpty || input.Length % width != 0)
            throw new ArgumentException($"input must hold a whole number (≥ 1) of rows of {width} values, not {input.Length} values", nameof(input));
        int n = input.Length / width;
        if (output.Length != input.Length)
            throw new ArgumentException($"output must hold {input.Length} values, as input does, not {output.Length}", nameof(output));
        if (!experts.IsEmpty && experts.Length != n * hp.ExpertUsedCount)
            throw new ArgumentException($"experts must hold {n} × {hp.ExpertUsedCount} ids, not {experts.Length}", nameof(experts));
        var a = Scratch(n);
        cache.Append(n);
        Backend.Write(input, a.H);
        Block(layer, a, cache, cache.BatchPositions);
        Backend.Read(a.H, output);
        if (!experts.IsEmpty) Backend.Read(a.Experts, experts);
    }

    private float[] _embedded = [];

    // Dequantises the tokens' embedding rows on the host and writes them into `h` (the backend keeps no copy of the table).
    private void LookUpOnHost(ReadOnlySpan<int> tokens, BackendTensor h)
    {
        int width = HyperParameters.EmbeddingLength;
        if (_embedded.Length < tokens.Length * width) _embedded = new float[tokens.Length * width];
        Embed(tokens, _embedded.AsSpan(0, tokens.Length * width));
        Backend.Write(_embedded.AsSpan(0, tokens.Length * width), h);
    }

    /// <summary>The embedding rows of <paramref name="tokens"/> ([T × n_embd], dequantised on the host): the residual stream
    /// entering block 0. The token table must live in host memory (always so on the CPU backend).</summary>
    public void Embed(ReadOnlySpan<int> tokens, Span<float> rows)
    {
        int width = HyperParameters.EmbeddingLength;
        if (rows.Length != tokens.Length * width)
            throw new ArgumentException($"rows must hold {tokens.Length} × {width} values, not {rows.Length}", nameof(rows));
        var format = Quants.BlockFormats.Get(Weights.TokenEmbd.Type);
        for (int t = 0; t < tokens.Length; t++)
            format.DequantizeRow(Weights.TokenEmbd.Row(tokens[t]), rows.Slice(t * width, width));
    }

    // The scratch tensors for a pass over n tokens: their own for one token (a recorded decode step holds their
    // addresses), else views of the first n rows of one set allocated for the largest batch so far.
    private GptOssActivations Scratch(int n)
    {
        if (n == 1)
            return _single ??= new GptOssActivations(Backend, HyperParameters, 1);
        if (_batch?.Tokens == n)
            return _batch;
        if (_batch != _pool) _batch?.Dispose();
        _batch = null;
        if (_pool is null || _pool.Tokens < n)
        {
            _pool?.Dispose();
            _pool = null;
            _pool = new GptOssActivations(Backend, HyperParameters, n);
            ScratchAllocations++;
        }
        _batch = _pool.Rows(n);
        return _batch;
    }

    /// <summary>How many times the batch scratch was allocated (tests: once per new largest batch).</summary>
    internal int ScratchAllocations { get; private set; }

    public void Dispose()
    {
        Backend.ReleaseHostTable(Weights.TokenEmbd);
        _single?.Dispose();
        if (_batch != _pool) _batch?.Dispose();
        _pool?.Dispose();
        _ownedFile?.Dispose();
    }
}
