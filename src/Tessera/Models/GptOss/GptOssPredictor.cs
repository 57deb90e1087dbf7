// ITokenPredictor for gpt-oss: a model, its KV cache and a backend. Prompts longer than the batch size run in batches;
// a failed or cancelled evaluation rolls the cache back to where the call started.

using Tessera.Backends;
using Tessera.Backends.Cpu;
using Tessera.Inference;

namespace Tessera.Models.GptOss;

/// <summary>Evaluates tokens with a gpt-oss model and keeps their keys and values.</summary>
public sealed class GptOssPredictor : ISamplingTokenPredictor
{
    private readonly GptOssModel _model;
    private readonly KvCache _cache;
    private readonly IDisposable? _owned;

    /// <summary>A predictor over <paramref name="model"/> (not owned), with a fresh KV cache.</summary>
    public GptOssPredictor(GptOssModel model, GptOssPredictorOptions? options = null) : this(model, options ?? new(), owned: null) { }

    private GptOssPredictor(GptOssModel model, GptOssPredictorOptions options, IDisposable? owned)
    {
        _model = model;
        var hp = model.HyperParameters;
        _cache = model.CreateCache(options.ContextSize ?? Math.Min(4096, hp.ContextLength), options.BatchSize, options.KvCacheType);
        _owned = owned;
    }

    /// <summary>Opens a gpt-oss GGUF on the backend the options choose; the predictor owns the file and the backend.</summary>
    public static GptOssPredictor Open(string path, GptOssPredictorOptions? options = null) => Open(path, options, out _);

    /// <summary>As <see cref="Open(string, GptOssPredictorOptions?)"/>; <paramref name="notice"/> says why Auto ran on the CPU.</summary>
    public static GptOssPredictor Open(string path, GptOssPredictorOptions? options, out string? notice)
    {
        options ??= new();
        var backend = BackendFactory.Create(options.Device, options.Threads, out notice, options.RoundActivations, options.Isa,
            options.Placement, options.ExpertUsage);
        if (backend is CpuBackend cpu) cpu.ExactAttention = options.ExactAttention;
        if (backend is Backends.Hybrid.HybridBackend hybrid) hybrid.Cpu.ExactAttention = options.ExactAttention;   // its CPU blocks
        GptOssModel? model = null;
        try
        {
            model = GptOssModel.Open(path, backend, options.LoadProgress);
            return new GptOssPredictor(model, options, new Owned(model, backend));
        }
        catch
        {
            model?.Dispose();
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The model.</summary>
    public GptOssModel Model => _model;

    /// <summary>The KV cache.</summary>
    public KvCache Cache => _cache;

    /// <inheritdoc/>
    public int VocabularySize => _model.HyperParameters.VocabularySize;

    /// <inheritdoc/>
    public int ContextSize => _cache.ContextSize;

    /// <inheritdoc/>
    public int Position => _cache.Position;

    /// <inheritdoc/>
    public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits, CancellationToken cancellationToken = default)
    {
        if (logits.Length != VocabularySize)
            throw new ArgumentException($"logits must hold {VocabularySize} values, not {logits.Length}", nameof(logits));
        Run(tokens, logits, allPositions: false, cancellationToken);
    }

    /// <summary>Evaluates <paramref name="tokens"/> like <see cref="Evaluate(ReadOnlySpan{int}, Span{float}, CancellationToken)"/>
    /// and returns the last token's logits where the backend keeps them (<see cref="IBackend.ReadInPlace"/>: on a GPU, the
    /// page-locked memory the step copied them into), not copied into an array; valid until the next call on this
    /// predictor or its model.</summary>
    public ReadOnlySpan<float> Evaluate(ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        Run(tokens, default, allPositions: false, cancellationToken, pick: Pick.InPlace);
        return _model.Backend.ReadInPlace(_output!);
    }

    /// <inheritdoc/>
    public bool SamplesOnDevice => _model.Backend.SamplesOnDevice;

    /// <inheritdoc/>
    public int EvaluateGreedy(ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        Run(tokens, default, allPositions: false, cancellationToken, pick: Pick.Greedy);
        return _picked;
    }

    /// <inheritdoc/>
    public int EvaluateSampled(ReadOnlySpan<int> tokens, TokenDraw draw, Span<float> logits, CancellationToken cancellationToken = default)
    {
        if (logits.Length != VocabularySize)
            throw new ArgumentException($"logits must hold {VocabularySize} values, not {logits.Length}", nameof(logits));
        _draw = draw;
        Run(tokens, logits, allPositions: false, cancellationToken, pick: Pick.Draw);
        return _picked;
    }

    /// <summary>Evaluates <paramref name="tokens"/> like <see cref="Evaluate(ReadOnlySpan{int}, Span{float}, CancellationToken)"/>
    /// but writes the logits of every one of them: <paramref name="logits"/> is [tokens × vocabulary], row t for position
    /// <see cref="Position"/> + t.</summary>
    public void EvaluateAllPositions(ReadOnlySpan<int> tokens, Span<float> logits, CancellationToken cancellationToken = default)
    {
        if (logits.Length != (long)tokens.Length * VocabularySize)
            throw new ArgumentException($"logits must hold {tokens.Length} × {VocabularySize} values, not {logits.Length}", nameof(logits));
        Run(tokens, logits, allPositions: true, cancellationToken);
    }

    /// <summary>Forgets positions from <paramref name="position"/> on; every position before it stays usable, however far
    /// back it lies (the sliding-window layers refill their ring from their history, see <see cref="KvCache"/>).</summary>
    public void Truncate(int position) => _cache.Truncate(position);

    // What Run does with the last logits: read them into the caller's span (None), pick the token on the backend (Argmax,
    // or Sample with _draw, whose −1 reads them after all; the token goes to _picked), or leave them in _output for
    // ReadInPlace (InPlace).
    private enum Pick { None, Greedy, Draw, InPlace }

    private int _picked;
    private BackendTensor? _output;   // the last step's logits
    private TokenDraw _draw;

    private void Run(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions, CancellationToken cancellationToken, Pick pick = Pick.None)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("there are no tokens to evaluate", nameof(tokens));
        foreach (var token in tokens)
            if ((uint)token >= (uint)VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token {token} is outside the vocabulary (0..{VocabularySize - 1})");
        if ((long)Position + tokens.Length > ContextSize)
            throw new ContextOverflowException(Position + tokens.Length, ContextSize);

        int start = Position;
        try
        {
            for (int done = 0; done < tokens.Length; done += _cache.MaxBatch)
            {
                var batch = tokens.Slice(done, Math.Min(_cache.MaxBatch, tokens.Length - done));
                bool last = done + batch.Length == tokens.Length;
                int firstOutput = allPositions ? 0 : last ? batch.Length - 1 : batch.Length;
                var output = _model.Forward(batch, _cache, firstOutput, cancellationToken);
                if (output is null) continue;
                _output = output;
                if (pick == Pick.InPlace) continue;
                var backend = _model.Backend;
                _picked = pick switch
                {
                    Pick.Greedy => backend.Argmax(output, output.Rows - 1),
                    Pick.Draw => backend.Sample(output, output.Rows - 1, _draw),
                    _ => -1,
                };
                if (pick == Pick.None || (pick == Pick.Draw && _picked < 0))
                    backend.Read(output, allPositions ? logits.Slice(done * VocabularySize, batch.Length * VocabularySize) : logits);
            }
        }
        catch
        {
            _cache.Truncate(start);
            throw;
        }
    }

    public void Dispose()
    {
        _cache.Dispose();
        _owned?.Dispose();
    }

    private sealed class Owned(GptOssModel model, IBackend backend) : IDisposable
    {
        public void Dispose()
        {
            model.Dispose();
            backend.Dispose();
        }
    }
}
