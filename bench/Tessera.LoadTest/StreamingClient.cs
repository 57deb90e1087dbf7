// One streaming chat request, timed the way a user feels it: time to the first generated text (queueing and prompt
// included) and time to `data: [DONE]`. Reads the SSE stream line by line, as OpenAI's clients do.

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tessera.LoadTest;

internal static class StreamingClient
{
    public static async Task<RequestResult> ChatAsync(HttpClient http, LoadTestOptions options, string question, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "load-test",
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
            ["max_tokens"] = options.MaxTokens,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = question } },
        }, LoadTestJsonContext.Default.DictionaryStringObject);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await response.Content.ReadAsStringAsync(cancellationToken);
                return new RequestResult((int)response.StatusCode, 0, watch.Elapsed.TotalMilliseconds, 0);
            }
            double firstToken = 0;
            var tokens = 0;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line.AsMemory(6);
                if (data.Span.SequenceEqual("[DONE]")) break;
                using var chunk = JsonDocument.Parse(data);
                var root = chunk.RootElement;
                if (root.TryGetProperty("error", out var error)) return new RequestResult(200, firstToken, watch.Elapsed.TotalMilliseconds, tokens, "stream error: " + error.GetProperty("message").GetString());
                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object) tokens = usage.GetProperty("completion_tokens").GetInt32();
                if (firstToken == 0 && HasText(root)) firstToken = watch.Elapsed.TotalMilliseconds;
            }
            return new RequestResult(200, firstToken, watch.Elapsed.TotalMilliseconds, tokens);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException)
        {
            return new RequestResult(0, 0, watch.Elapsed.TotalMilliseconds, 0, e.GetType().Name);
        }
    }

    private static bool HasText(JsonElement chunk)
    {
        if (!chunk.TryGetProperty("choices", out var choices) || choices.GetArrayLength() == 0) return false;
        var delta = choices[0].GetProperty("delta");
        foreach (var name in (string[])["content", "reasoning_content", "tool_calls"])
            if (delta.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0))
                return true;
        return false;
    }
}
