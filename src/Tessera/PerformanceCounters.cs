// Timings of a request like llama.cpp's perf print (llama_perf_context_print): load, prompt eval, eval, sampling, total.

using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>Where the time of one request went. Milliseconds throughout.</summary>
public sealed record PerformanceCounters
{
    /// <summary>Time to load the model (the same on every result of one model).</summary>
    [JsonPropertyName("load_ms")] public double LoadMs { get; init; }

    /// <summary>Time to evaluate the prompt tokens that were not already cached.</summary>
    [JsonPropertyName("prompt_eval_ms")] public double PromptEvalMs { get; init; }

    /// <summary>Prompt tokens evaluated (cached prefix tokens excluded).</summary>
    [JsonPropertyName("prompt_eval_tokens")] public int PromptEvalTokens { get; init; }

    /// <summary>Prompt tokens reused from the cache of the previous request.</summary>
    [JsonPropertyName("prompt_cached_tokens")] public int PromptCachedTokens { get; init; }

    /// <summary>Time to evaluate generated tokens, one run per token.</summary>
    [JsonPropertyName("eval_ms")] public double EvalMs { get; init; }

    /// <summary>Evaluation runs after the prompt.</summary>
    [JsonPropertyName("eval_runs")] public int EvalRuns { get; init; }

    /// <summary>Time spent choosing tokens from logits.</summary>
    [JsonPropertyName("sample_ms")] public double SampleMs { get; init; }

    /// <summary>Tokens sampled.</summary>
    [JsonPropertyName("sample_runs")] public int SampleRuns { get; init; }

    /// <summary>Wall time of the whole request.</summary>
    [JsonPropertyName("total_ms")] public double TotalMs { get; init; }

    /// <summary>Prompt tokens per second.</summary>
    [JsonPropertyName("prompt_tokens_per_second")] public double PromptTokensPerSecond => PerSecond(PromptEvalTokens, PromptEvalMs);

    /// <summary>Generated tokens per second.</summary>
    [JsonPropertyName("eval_tokens_per_second")] public double EvalTokensPerSecond => PerSecond(EvalRuns, EvalMs);

    private static double PerSecond(int n, double ms) => ms > 0 ? n * 1000.0 / ms : 0;

    /// <summary>The summary llama.cpp prints after a run.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Line(string what, double ms, int n, string unit)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{what,-17} = {ms,10:F2} ms / {n,5} {unit}");
            if (n > 0) sb.Append(CultureInfo.InvariantCulture, $" ({ms / n,8:F2} ms per token, {PerSecond(n, ms),8:F2} tokens per second)");
            sb.AppendLine();
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"load time",-17} = {LoadMs,10:F2} ms");
        Line("prompt eval time", PromptEvalMs, PromptEvalTokens, "tokens");
        Line("eval time", EvalMs, EvalRuns, "runs  ");
        Line("sampling time", SampleMs, SampleRuns, "runs  ");
        sb.Append(CultureInfo.InvariantCulture, $"{"total time",-17} = {TotalMs,10:F2} ms / {PromptEvalTokens + EvalRuns,5} tokens");
        if (PromptCachedTokens > 0) sb.Append(CultureInfo.InvariantCulture, $" ({PromptCachedTokens} prompt tokens from cache)");
        return sb.ToString();
    }
}
