// The buffers one forward pass over T tokens works in, allocated on the model's backend and kept by the model between
// passes: once for the largest batch so far, and viewed by row count for smaller ones (IBackend.ViewRows), so a chat's
// prompts of every length reuse them. Rows are tokens; the expert buffers have a row per token and expert slot (t·k + j).
// The head's buffers are made for as many rows as ask for logits (one when decoding). Kept apart so that the forward
// pass reads as the model.

using Tessera.Backends;
using Tessera.Quants;

namespace Tessera.Models.GptOss;

/// <summary>Scratch tensors of a forward pass over a batch of tokens.</summary>
internal sealed class GptOssActivations : IDisposable
{
    private readonly IBackend _backend;
    private readonly GptOssHyperParameters _hp;
    private readonly GptOssActivations? _pool;   // for views: the set they view
    private HeadScratch? _head;

    public GptOssActivations(IBackend backend, GptOssHyperParameters hp, int tokens)
    {
        _backend = backend;
        _hp = hp;
        Tokens = tokens;
        int embd = hp.EmbeddingLength, q = hp.HeadCount * hp.KeyLength, kv = hp.HeadCountKv * hp.KeyLength;
        int k = hp.ExpertUsedCount, ff = hp.ExpertFeedForwardLength;
        BackendTensor F32(int rows, int columns) => backend.NewTensor(GgmlType.F32, rows, columns);
        TokenIds = backend.NewTensor(GgmlType.I32, 1, tokens);
        H = F32(tokens, embd);
        X = F32(tokens, embd);
        Q = F32(tokens, q);
        K = F32(tokens, kv);
        V = F32(tokens, kv);
        Attn = F32(tokens, q);
        RouterLogits = F32(tokens, hp.ExpertCount);
        Experts = backend.NewTensor(GgmlType.I32, tokens, k);
        ExpertWeights = F32(tokens, k);
        Gate = F32(tokens * k, ff);
        Up = F32(tokens * k, ff);
        Act = F32(tokens * k, ff);
        Down = F32(tokens * k, embd);
        Qkv = [Q, K, V];
        GateUp = [Gate, Up];
    }

    // The first `tokens` rows of every tensor of `pool` (views: nothing allocated); the head's buffers are the pool's.
    private GptOssActivations(GptOssActivations pool, int tokens)
    {
        (_backend, _hp, _pool, Tokens) = (pool._backend, pool._hp, pool, tokens);
        int k = _hp.ExpertUsedCount;
        BackendTensor View(BackendTensor t, int rows) => _backend.ViewRows(t, rows);
        TokenIds = pool.TokenIds;   // [1 × pool's T]: ops read as many ids as their operand has rows
        H = View(pool.H, tokens);
        X = View(pool.X, tokens);
        Q = View(pool.Q, tokens);
        K = View(pool.K, tokens);
        V = View(pool.V, tokens);
        Attn = View(pool.Attn, tokens);
        RouterLogits = View(pool.RouterLogits, tokens);
        Experts = View(pool.Experts, tokens);
        ExpertWeights = View(pool.ExpertWeights, tokens);
        Gate = View(pool.Gate, tokens * k);
        Up = View(pool.Up, tokens * k);
        Act = View(pool.Act, tokens * k);
        Down = View(pool.Down, tokens * k);
        Qkv = [Q, K, V];
        GateUp = [Gate, Up];
    }

    /// <summary>The scratch of a pass over <paramref name="tokens"/> ≤ <see cref="Tokens"/> tokens: this set, or views of
    /// its first rows (dispose them when done; that frees nothing).</summary>
    public GptOssActivations Rows(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, Tokens);
        return tokens == Tokens ? this : new GptOssActivations(this, tokens);
    }

    public int Tokens { get; }

    public BackendTensor TokenIds { get; }      // I32 [1 × T] the step's tokens (views share the pool's, [1 × ≥ T])
    public BackendTensor H { get; }             // [T × n_embd] residual stream
    public BackendTensor X { get; }             // [T × n_embd] normed input of a sub-block, then its output
    public BackendTensor Q { get; }             // [T × n_head·d]
    public BackendTensor K { get; }             // [T × n_head_kv·d]
    public BackendTensor V { get; }             // [T × n_head_kv·d]
    public BackendTensor Attn { get; }          // [T × n_head·d] attention output, heads concatenated
    public BackendTensor RouterLogits { get; }  // [T × E] biased router logits
    public BackendTensor Experts { get; }       // [T × k] I32 chosen experts, best first
    public BackendTensor ExpertWeights { get; } // [T × k] softmax over the chosen logits
    public BackendTensor Gate { get; }          // [T·k × n_ff]
    public BackendTensor Up { get; }            // [T·k × n_ff]
    public BackendTensor Act { get; }           // [T·k × n_ff] SwiGLU-OAI(gate, up)
    public BackendTensor Down { get; }          // [T·k × n_embd] expert outputs
    public BackendTensor[] Qkv { get; }         // [Q, K, V], the outputs of one MatMulMany
    public BackendTensor[] GateUp { get; }      // [Gate, Up], the outputs of one MatMulExpertsMany

    /// <summary>The head's buffers for <paramref name="rows"/> rows of logits.</summary>
    public HeadScratch Head(int rows)
    {
        if (_pool is not null) return _pool.Head(rows);
        if (_head?.Logits.Rows != rows)
        {
            _head?.Dispose();
            _head = null;
            _head = new HeadScratch(_backend.NewTensor(GgmlType.F32, rows, _hp.EmbeddingLength),
                _backend.NewTensor(GgmlType.F32, rows, _hp.EmbeddingLength), _backend.NewTensor(GgmlType.F32, rows, _hp.VocabularySize));
        }
        return _head;
    }

    public void Dispose()
    {
        foreach (var t in new[] { H, X, Q, K, V, Attn, RouterLogits, Experts, ExpertWeights, Gate, Up, Act, Down }) t.Dispose();
        if (_pool is null) TokenIds.Dispose();
        _head?.Dispose();
    }

    /// <summary>The rows that want logits ([rows × n_embd], twice) and their logits ([rows × vocab]).</summary>
    public sealed record HeadScratch(BackendTensor Last, BackendTensor Normed, BackendTensor Logits) : IDisposable
    {
        public void Dispose()
        {
            Last.Dispose();
            Normed.Dispose();
            Logits.Dispose();
        }
    }
}
