// The body of OpenAI's legacy `POST /v1/completions`: a raw prompt, continued without any chat formatting.

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary>A raw-prompt completion request. The prompt is a string or an array holding one string; token-id prompts
/// and batches of prompts are refused.</summary>
internal sealed class TextCompletionRequest : GenerationRequest
{
    [JsonPropertyName("prompt")] public JsonElement? Prompt { get; set; }

    /// <summary>The prompt text, checked.</summary>
    public string CheckedPrompt()
    {
        const string Param = "prompt";
        var prompt = Prompt ?? throw ApiException.BadRequest("prompt is required", Param);
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() == 1) prompt = prompt[0];
        if (prompt.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest("prompt must be a string or an array of one string (token ids and batches are not supported)", Param);
        return prompt.GetString() is { Length: > 0 } text ? text : throw ApiException.BadRequest("prompt must not be empty", Param);
    }

    /// <summary>The library's options for this request; throws <see cref="ApiException"/> naming the first bad field.</summary>
    public CompletionOptions ToOptions(int vocabularySize, GenerationDefaults? defaults = null) => new()
    {
        MaxTokens = CheckMaxTokens(MaxTokens, "max_tokens") ?? defaults?.MaxTokens,
        Stop = ToStop(),
        Sampling = ToSampling(vocabularySize, defaults?.Sampling ?? new Inference.SamplingOptions()),
    };
}
