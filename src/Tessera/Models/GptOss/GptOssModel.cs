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

    // Scratch of the last single-token pass and of the last batch, kept so that decoding allocates nothing.
    private GptOssActivations? _single, _batch;
    private int[] _positions = [];

    private GptOssModel(GgufFile file, IBackend backend, bool ownsFile)
    {
        HyperParameters = GptOssHyperParameters.FromGguf(file);
        Weights = GptOssWeights.Load(file, HyperParameters);
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
    public static GptOssModel Open(string path, IBackend backend)
    {
        var file = GgufFile.Open(path);
        try { return new GptOssModel(file, backend, ownsFile: true); }
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
        var (hp, w, b) = (HyperParameters, Weights, Backend);
        int n = tokens.Length;
        ArgumentOutOfRangeException.ThrowIfZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)firstOutput, (uint)n, nameof(firstOutput));
        if (_positions.Length < n) _positions = new int[Math.Max(n, 2 * _positions.Length)];
        var positions = _positions.AsSpan(0, n);
        for (int i = 0; i < n; i++) positions[i] = cache.Position + i;
        cache.Append(n);
        var a = Scratch(n);

        // Embedding: a row of token_embd per token, no scaling.
        b.GetRows(w.TokenEmbd, tokens, a.H);

        for (int il = 0; il < hp.BlockCount; il++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layer = w.Layers[il];
            var kv = cache.Layer(il);

            // Attention: RMSNorm, Q/K/V projections with biases, YaRN RoPE (NEOX) on Q and K, keys and values into the cache.
            b.RmsNorm(a.H, layer.AttnNorm, hp.RmsNormEpsilon, a.X);
            b.MatMulMany(layer.AttnQkv, a.X, a.Qkv);
            b.AddBias(a.Q, layer.AttnQBias);
            b.AddBias(a.K, layer.AttnKBias);
            b.AddBias(a.V, layer.AttnVBias);
            b.Rope(a.Q, positions, Rope);
            b.Rope(a.K, positions, Rope);
            b.SetRows(a.K, kv.Keys, kv.BatchSlots);
            b.SetRows(a.V, kv.Values, kv.BatchSlots);

            // Grouped-query attention with a sink logit per head; even layers see only the last sliding_window positions.
            b.Attention(a.Q, kv.Keys, kv.Values, positions, kv.SlotPositions, kv.Window, layer.AttnSinks, KqScale, a.Attn);
            b.MatMul(layer.AttnOutput, a.Attn, a.X);
            b.AddBias(a.X, layer.AttnOutputBias);
            b.Add(a.H, a.X);

            // Router: RMSNorm, biased logits, the top k experts by logit and a softmax over those k.
            b.RmsNorm(a.H, layer.PostAttentionNorm, hp.RmsNormEpsilon, a.X);
            b.MatMul(layer.FfnGateInp, a.X, a.RouterLogits);
            b.AddBias(a.RouterLogits, layer.FfnGateInpBias);
            b.TopKSoftmax(a.RouterLogits, a.Experts, a.ExpertWeights);

            // Experts: SwiGLU-OAI(gate, up), then down, each with its expert's bias; outputs weighted and summed.
            b.MatMulExpertsMany(layer.FfnGateUpExps, a.X, a.Experts, a.GateUp);
            b.AddExpertBias(a.Gate, layer.FfnGateExpsBias, a.Experts);
            b.AddExpertBias(a.Up, layer.FfnUpExpsBias, a.Experts);
            b.SwiGluOai(a.Gate, a.Up, SwiGluAlpha, SwiGluLimit, a.Act);
            b.MatMulExperts(layer.FfnDownExps, a.Act, a.Experts, a.Down);
            b.AddExpertBias(a.Down, layer.FfnDownExpsBias, a.Experts);
            b.WeightedSum(a.Down, a.ExpertWeights, a.X);
            b.Add(a.H, a.X);
        }

        // Head: final RMSNorm and the output matrix, only for the rows that want logits.
        int rows = n - firstOutput;
        if (rows == 0)
            return null;
        var head = a.Head(rows);
        b.CopyRows(a.H, firstOutput, head.Last, 0, rows);
        b.RmsNorm(head.Last, w.OutputNorm, hp.RmsNormEpsilon, head.Normed);
        b.MatMul(w.Output, head.Normed, head.Logits);
        return head.Logits;
    }

    // The scratch tensors for a pass over n tokens: kept for one token and for the last batch size.
    private GptOssActivations Scratch(int n)
    {
        if (n == 1)
            return _single ??= new GptOssActivations(Backend, HyperParameters, 1);
        if (_batch?.Tokens != n)
        {
            _batch?.Dispose();
            _batch = null;
            _batch = new GptOssActivations(Backend, HyperParameters, n);
        }
        return _batch;
    }

    public void Dispose()
    {
        _single?.Dispose();
        _batch?.Dispose();
        _ownedFile?.Dispose();
    }
}
