// A stand-in for the forward pass that makes the model say exactly a scripted token sequence: each evaluation's logits
// put all weight on the next scripted token. The whole generation path (sampling, detokenizing, harmony parsing,
// OpenAI shapes, streaming, Microsoft.Extensions.AI) runs for real on top of it.

using Tessera.Gguf;
using Tessera.Inference;
using Tessera.Tokenization;

namespace Tessera.Tests.Api;

internal sealed class ScriptedPredictor(IEnumerable<int> script, int contextSize = 4096) : ITokenPredictor
{
    private static readonly Lazy<BpeTokenizer> SharedTokenizer = new(() =>
    {
        using var file = GgufFile.Open(TestModels.Tiny);
        return GgufTokenizer.Load(file);
    });

    private readonly Queue<int> _script = new(script);
    private readonly List<int> _tokens = [];

    public static BpeTokenizer Tokenizer => SharedTokenizer.Value;

    /// <summary>A model whose replies, across requests, are these completions in order (harmony text).</summary>
    public static TesseraModel Model(int contextSize = 4096, params string[] completions) =>
        new(new ScriptedPredictor(completions.SelectMany(c => Tokenizer.Encode(c, parseSpecial: true)), contextSize), Tokenizer, "scripted", 1.5);

    public int VocabularySize => Tokenizer.VocabularySize;
    public int ContextSize { get; } = contextSize;
    public int Position => _tokens.Count;
    public int Evaluations { get; private set; }
    public List<int> EvaluatedCounts { get; } = [];
    public Action? OnEvaluate { get; set; }

    public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits, CancellationToken cancellationToken = default)
    {
        if (_tokens.Count + tokens.Length > ContextSize) throw new ContextOverflowException(_tokens.Count + tokens.Length, ContextSize);
        cancellationToken.ThrowIfCancellationRequested();
        OnEvaluate?.Invoke();
        _tokens.AddRange(tokens);
        Evaluations++;
        EvaluatedCounts.Add(tokens.Length);
        logits.Clear();
        // Past the script the model says <|return|>.
        logits[_script.Count > 0 ? _script.Dequeue() : Chat.Harmony.HarmonyTokens.Return] = 1000f;
    }

    public void Truncate(int position) => _tokens.RemoveRange(position, _tokens.Count - position);

    public void Dispose() { }
}
