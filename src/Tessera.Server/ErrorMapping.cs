// Which HTTP answer each failure gets: the library's exceptions for bad input (ArgumentException,
// ContextOverflowException, HarmonyRenderException) and the serializer's JsonException become 400 with OpenAI's
// error body, so that no invalid request is ever answered with a 500.

using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Chat.Harmony;
using Tessera.Inference;
using Tessera.Server.Protocol;

namespace Tessera.Server;

internal static class ErrorMapping
{
    /// <summary>The answer for <paramref name="e"/>; <paramref name="inputParam"/> names the field holding the input
    /// (<c>messages</c> or <c>prompt</c>) for errors about it.</summary>
    public static ApiException ToApiException(Exception e, string inputParam) => e switch
    {
        ApiException api => api,
        // Failures of the library's streaming producer may arrive wrapped.
        System.Threading.Channels.ChannelClosedException { InnerException: { } inner } => ToApiException(inner, inputParam),
        AggregateException { InnerExceptions.Count: 1 } aggregate => ToApiException(aggregate.InnerExceptions[0], inputParam),
        JsonException json => ApiException.BadRequest(Describe(json), ParamOfPath(json.Path)),
        ContextOverflowException overflow => ApiException.BadRequest(overflow.Message, inputParam, "context_length_exceeded"),
        HarmonyRenderException render => ApiException.BadRequest(render.Message, inputParam),
        ArgumentException argument => ApiException.BadRequest(argument.Message, argument.ParamName is { } p ? SnakeCase(p) : null),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, new ErrorBody(bad.Message, "invalid_request_error", null, null)),
        _ => new ApiException(StatusCodes.Status500InternalServerError, new ErrorBody($"internal error: {e.GetType().Name}: {e.Message}", "server_error", null, null)),
    };

    /// <summary>429 for a full queue, in the shape OpenAI uses for rate limits.</summary>
    public static ApiException QueueFull(int limit) => new(StatusCodes.Status429TooManyRequests,
        new ErrorBody($"the server is busy: {limit} requests are already waiting for the model; retry later", "requests", null, "rate_limit_exceeded"));

    /// <summary>401 for a missing or wrong API key, as OpenAI answers it.</summary>
    public static ApiException Unauthorized(bool missing) => new(StatusCodes.Status401Unauthorized, new ErrorBody(
        missing ? "missing API key: send it as \"Authorization: Bearer KEY\"" : "incorrect API key provided",
        "invalid_request_error", null, "invalid_api_key"));

    /// <summary>404 for a path the server does not serve.</summary>
    public static ApiException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, new ErrorBody($"{what} not found", "invalid_request_error", null, "not_found"));

    // The serializer's own messages name .NET types and reader positions ("The JSON value could not be converted to
    // System.Nullable`1[System.Int32]. Path: $.max_tokens | LineNumber: 0 | ..."): said here as the request's field and
    // the kind of JSON value it takes. Messages of Tessera's own converters (an unknown role) are already in words.
    internal static string Describe(JsonException json)
    {
        string message = json.Message;
        string? param = ParamOfPath(json.Path);
        string at = json.BytePositionInLine is long p ? $" (line {json.LineNumber + 1}, character {p + 1})" : "";
        if (!message.Contains("LineNumber:", StringComparison.Ordinal) && !message.Contains("could not be converted", StringComparison.Ordinal))
            return $"invalid request body: {message}";
        var converted = System.Text.RegularExpressions.Regex.Match(message, @"could not be converted to (\S+?)\.? Path:");
        if (!converted.Success)
            return $"the request body is not valid JSON{at}";
        string type = converted.Groups[1].Value;
        string kind =
            type.Contains("ChatMessage", StringComparison.Ordinal) && type.Contains("List", StringComparison.Ordinal) ? "an array of messages ({\"role\": ..., \"content\": ...})"
            : type.Contains("ChatMessage", StringComparison.Ordinal) ? "a message ({\"role\": ..., \"content\": ...})"
            : type.Contains("List", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal) ? "an array"
            : type.Contains("Dictionary", StringComparison.Ordinal) ? "an object"
            : System.Text.RegularExpressions.Regex.IsMatch(type, @"\b(System\.)?U?Int(16|32|64)\b|\bS?Byte\b") ? "a whole number (within range)"
            : System.Text.RegularExpressions.Regex.IsMatch(type, @"\b(System\.)?(Single|Double|Decimal)\b") ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : type.Contains("String", StringComparison.Ordinal) ? "a string"
            : "another kind of value";
        return param is null ? $"the request body must be a JSON object{at}" : $"{param} must be {kind}{at}";
    }

    // "$.messages[0].role" → "messages[0].role"; the whole body → null.
    private static string? ParamOfPath(string? path) =>
        path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    // The library names options in C# (TopP); the request names them as OpenAI does (top_p).
    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
