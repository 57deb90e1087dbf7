// The fields that OpenAI's chat and legacy completion requests share (sampling, stop, limits, streaming), plus the
// llama.cpp extensions that its users send (top_k, min_p, repeat_penalty). Checked against OpenAI's documented
// ranges here so that the error names the request field; the library checks again with its own rules.

using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Inference;

namespace Tessera.Server.Protocol;

/// <summary>Sampling and streaming fields of a generation request. Unknown fields are ignored by the serializer.</summary>
internal abstract class GenerationRequest
{
    /// <summary>Whatever model the client names is served by the loaded one (as llama-server does).</summary>
    [JsonPropertyName("model")] public string? Model { get; set; }

    [JsonPropertyName("stream")] public bool? Stream { get; set; }

    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; set; }

    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; set; }

    [JsonPropertyName("temperature")] public float? Temperature { get; set; }

    [JsonPropertyName("top_p")] public float? TopP { get; set; }

    [JsonPropertyName("top_k")] public int? TopK { get; set; }

    [JsonPropertyName("min_p")] public float? MinP { get; set; }

    [JsonPropertyName("presence_penalty")] public float? PresencePenalty { get; set; }

    [JsonPropertyName("frequency_penalty")] public float? FrequencyPenalty { get; set; }

    [JsonPropertyName("repeat_penalty")] public float? RepeatPenalty { get; set; }

    [JsonPropertyName("seed")] public long? Seed { get; set; }

    /// <summary>A string, an array of strings, or null.</summary>
    [JsonPropertyName("stop")] public JsonElement? Stop { get; set; }

    /// <summary>Token id (as a string key, JSON objects have no integer keys) to a bias in [-100, 100].</summary>
    [JsonPropertyName("logit_bias")] public Dictionary<string, float>? LogitBias { get; set; }

    [JsonPropertyName("n")] public int? N { get; set; }

    [JsonIgnore] public bool IsStreaming => Stream == true;

    [JsonIgnore] public bool IncludeUsage => StreamOptions?.IncludeUsage == true;

    /// <summary>Sampling options of this request, <paramref name="defaults"/> where it sets none; throws
    /// <see cref="ApiException"/> naming the first bad field.</summary>
    protected SamplingOptions ToSampling(int vocabularySize, SamplingOptions defaults)
    {
        if (N is not (null or 1)) throw ApiException.BadRequest($"n must be 1: the model serves one completion at a time (got {N})", "n");
        Check(Temperature, "temperature", 0, 2);
        Check(PresencePenalty, "presence_penalty", -2, 2);
        Check(FrequencyPenalty, "frequency_penalty", -2, 2);
        Check(MinP, "min_p", 0, 1);
        if (TopP is { } p && !(p > 0 && p <= 1)) throw ApiException.BadRequest($"top_p must be in (0, 1] (got {p})", "top_p");
        if (TopK is < 0) throw ApiException.BadRequest($"top_k must be >= 0, 0 = off (got {TopK})", "top_k");
        if (RepeatPenalty is { } r && !(r > 0 && float.IsFinite(r))) throw ApiException.BadRequest($"repeat_penalty must be > 0, 1 = off (got {r})", "repeat_penalty");
        return defaults with
        {
            Temperature = Temperature ?? defaults.Temperature,
            TopP = TopP ?? defaults.TopP,
            TopK = TopK ?? defaults.TopK,
            MinP = MinP ?? defaults.MinP,
            PresencePenalty = PresencePenalty ?? defaults.PresencePenalty,
            FrequencyPenalty = FrequencyPenalty ?? defaults.FrequencyPenalty,
            RepeatPenalty = RepeatPenalty ?? defaults.RepeatPenalty,
            // llama.cpp's convention: a negative seed asks for a random one.
            Seed = Seed is { } seed ? (seed >= 0 ? (ulong)seed : null) : defaults.Seed,
            LogitBias = ToLogitBias(vocabularySize),
        };
    }

    /// <summary>The token limit: <paramref name="value"/> if given, checked.</summary>
    protected static int? CheckMaxTokens(int? value, string name) =>
        value is < 0 ? throw ApiException.BadRequest($"{name} must not be negative (got {value})", name) : value;

    /// <summary>The stop strings; empty ones are dropped (they could never match) rather than refused.</summary>
    protected IReadOnlyList<string>? ToStop()
    {
        if (Stop is not { } stop || stop.ValueKind == JsonValueKind.Null) return null;
        if (stop.ValueKind == JsonValueKind.String) return stop.GetString() is { Length: > 0 } s ? [s] : null;
        if (stop.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
        var list = new List<string>();
        foreach (var item in stop.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
            if (item.GetString() is { Length: > 0 } s) list.Add(s);
        }
        return list.Count > 0 ? list : null;
    }

    private Dictionary<int, float> ToLogitBias(int vocabularySize)
    {
        var bias = new Dictionary<int, float>();
        foreach (var (key, value) in LogitBias ?? [])
        {
            // Checked here, not by the sampler: it is built after the first chunk of a stream has gone out.
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var token) || token >= vocabularySize)
                throw ApiException.BadRequest($"logit_bias key \"{key}\" is not a token id of this model (0 to {vocabularySize - 1})", "logit_bias");
            if (!(value >= -100 && value <= 100))
                throw ApiException.BadRequest($"logit_bias for token {key} must be in [-100, 100] (got {value})", "logit_bias");
            bias[token] = value;
        }
        return bias;
    }

    private static void Check(float? value, string name, float min, float max)
    {
        if (value is { } v && !(v >= min && v <= max))
            throw ApiException.BadRequest($"{name} must be in [{min}, {max}] (got {v})", name);
    }
}
