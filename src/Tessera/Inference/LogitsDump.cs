// Logits of every position of a prompt, [tokens × vocabulary]: what `tessera logits` prints and what the comparisons with
// llama.cpp read. One evaluation from position 0 (in batches when the prompt is long).

using Tessera.Models.GptOss;

namespace Tessera.Inference;

/// <summary>The logits of every position of a token sequence.</summary>
public sealed class LogitsDump
{
    private LogitsDump(float[] values, int positions, int vocabularySize)
    {
        Values = values;
        Positions = positions;
        VocabularySize = vocabularySize;
    }

    /// <summary>Row-major [<see cref="Positions"/> × <see cref="VocabularySize"/>].</summary>
    public float[] Values { get; }

    /// <summary>Number of positions (tokens evaluated).</summary>
    public int Positions { get; }

    /// <summary>Logits per position.</summary>
    public int VocabularySize { get; }

    /// <summary>The logits at <paramref name="position"/>: the model's prediction of the token after it.</summary>
    public ReadOnlySpan<float> Row(int position) => Values.AsSpan(checked(position * VocabularySize), VocabularySize);

    /// <summary>Evaluates <paramref name="tokens"/> after whatever <paramref name="predictor"/> already holds.</summary>
    public static LogitsDump Evaluate(GptOssPredictor predictor, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        var values = new float[checked((long)tokens.Length * predictor.VocabularySize)];
        predictor.EvaluateAllPositions(tokens, values, cancellationToken);
        return new LogitsDump(values, tokens.Length, predictor.VocabularySize);
    }

    /// <summary>Opens the gpt-oss GGUF at <paramref name="modelPath"/> and evaluates <paramref name="tokens"/> from position 0.</summary>
    public static LogitsDump Evaluate(string modelPath, ReadOnlySpan<int> tokens, GptOssPredictorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new();
        if (options.ContextSize is null)
            options = options with { ContextSize = Math.Max(tokens.Length, 1) };
        using var predictor = GptOssPredictor.Open(modelPath, options);
        return Evaluate(predictor, tokens, cancellationToken);
    }
}
