// The public entry point: a loaded model with its tokenizer and one KV cache, serving one request at a time
// (concurrent callers wait their turn). Chat and raw completions live in the partial files beside this one.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Tessera.Chat.Harmony;
using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Tokenization;

namespace Tessera;

/// <summary>A gpt-oss model loaded from a GGUF file, ready for chat and text completions.</summary>
public sealed partial class TesseraModel : IDisposable
{
    private static readonly int[] HarmonyEndOfGeneration = [HarmonyTokens.Return, HarmonyTokens.Call, HarmonyTokens.EndOfText];

    private readonly TokenGenerator _generator;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly IDisposable? _owned;
    private bool _disposed;

    internal TesseraModel(ITokenPredictor predictor, BpeTokenizer tokenizer, string name, double loadMs, IDisposable? owned = null)
    {
        Tokenizer = tokenizer;
        Name = name;
        LoadMs = loadMs;
        _owned = owned;
        _generator = new TokenGenerator(predictor, tokenizer, new HashSet<int>(HarmonyEndOfGeneration));
    }

    /// <summary>Loads a gpt-oss GGUF file. Throws <see cref="GgufFormatException"/> for a broken file,
    /// <see cref="ArgumentException"/> for impossible options, <see cref="NotSupportedException"/> for other architectures.</summary>
    public static TesseraModel Load(string path, TesseraModelOptions? options = null)
    {
        options ??= new TesseraModelOptions();
        options.Validate();
        if (Directory.Exists(path))
            throw new FileNotFoundException($"{path} is a directory, not a model file: give the path of a .gguf file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        var watch = Stopwatch.StartNew();
        BpeTokenizer tokenizer;
        ModelLoader.Loaded loaded;
        using (var file = GgufFile.Open(path))
        {
            tokenizer = GgufTokenizer.Load(file);
            loaded = ModelLoader.CreatePredictor(path, file, options);
        }
        var name = options.Alias ?? Path.GetFileNameWithoutExtension(path);
        var predictor = loaded.Predictor;
        return new TesseraModel(predictor, tokenizer, name, watch.Elapsed.TotalMilliseconds, predictor)
        {
            PlacementNote = loaded.Note,
            PlacementSummary = loaded.PlacementSummary,
            BackendName = (predictor as Models.GptOss.GptOssPredictor)?.Model.Backend.Name,
            _saveUsage = loaded.SaveUsage,
        };
    }

    /// <summary>Anything the loader had to decide against the options (e.g. no GPU available), or null.</summary>
    public string? PlacementNote { get; private init; }

    /// <summary>Where the model's weights went, in one line, when it runs on a GPU: e.g. <c>placement: attention+head+KV on
    /// GPU, 20-21 of 32 experts per block on GPU, the rest in RAM; 7.8 GiB of 8.0 GiB; predicted 110 tok/s</c>. Null on the CPU.</summary>
    public string? PlacementSummary { get; private init; }

    // Saves the router counts a run on GPU and CPU made, for the next load's plan.
    private Action? _saveUsage;

    /// <summary>What the model runs on, e.g. <c>cpu, 8 threads, avx2</c> or <c>cuda, NVIDIA H200</c>; null for a model
    /// over a predictor that has no backend.</summary>
    public string? BackendName { get; private init; }

    /// <summary>The model's tokenizer.</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>Name reported as <c>model</c> in results.</summary>
    public string Name { get; }

    /// <summary>Positions of the context.</summary>
    public int ContextSize => _generator.Predictor.ContextSize;

    /// <summary>Milliseconds the load took.</summary>
    public double LoadMs { get; }

    /// <summary>Timings of the last request.</summary>
    public PerformanceCounters? LastTimings { get; private set; }

    /// <summary>This model as a Microsoft.Extensions.AI chat client (the client does not own the model).</summary>
    public TesseraChatClient AsChatClient() => new(this);

    /// <summary>Token ids of <paramref name="text"/>; special-token text such as <c>&lt;|start|&gt;</c> is parsed by default.</summary>
    public int[] Tokenize(string text, bool parseSpecial = true) => Tokenizer.Encode(text, parseSpecial);

    /// <summary>Text of <paramref name="tokens"/>.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens) => Tokenizer.Decode(tokens);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _turn.Wait();
        try
        {
            _saveUsage?.Invoke();
            _owned?.Dispose();
        }
        finally { _turn.Dispose(); }
    }

    /// <summary>Forgets every cached position, so that the next request evaluates its whole prompt.</summary>
    public void ResetCache() => Exclusive(() => { _generator.Reset(); return 0; }, CancellationToken.None);

    /// <summary>Evaluates <paramref name="tokens"/> after what the cache holds, as though the model had generated them
    /// (a scripted reply); returns the milliseconds it took.</summary>
    internal double ContinueCache(IReadOnlyList<int> tokens, CancellationToken cancellationToken) => Exclusive(() =>
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _generator.Continue(tokens, cancellationToken);
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }, cancellationToken);

    // Runs one request with the model to itself.
    private T Exclusive<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _turn.Wait(cancellationToken);
        try { return work(); }
        finally { _turn.Release(); }
    }

    // Streaming: the request runs on a worker thread (it is CPU-bound) with the model to itself and hands its pieces
    // through a bounded channel; leaving the enumeration early or cancelling stops the generation.
    private async IAsyncEnumerable<T> StreamFromWorker<T>(Action<Action<T>, CancellationToken> run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A short buffer: the worker may run only a few tokens ahead of a slow reader, so a reader that leaves stops it soon.
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            try
            {
                Exclusive(() =>
                {
                    run(item => channel.Writer.WriteAsync(item, stop.Token).AsTask().GetAwaiter().GetResult(), stop.Token);
                    return true;
                }, stop.Token);
                channel.Writer.TryComplete();
            }
            catch (Exception e) { channel.Writer.TryComplete(e); }
        }, CancellationToken.None);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return item;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await producer.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        await channel.Reader.Completion.ConfigureAwait(false);   // rethrows a failure of the producer
    }

    private PerformanceCounters Finish(PerformanceCounters counters) => LastTimings = counters with { LoadMs = LoadMs };

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

}
