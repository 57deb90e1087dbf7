// Reads a server-sent-events body the way OpenAI's clients do: `data: ` lines, blank-line separated, up to `[DONE]`.

using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Tessera.Server.Tests;

internal static class Sse
{
    /// <summary>The data of each event, parsed; the <c>[DONE]</c> marker is returned as null and ends the stream.</summary>
    public static async IAsyncEnumerable<JsonElement?> ReadAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                yield return null;
                yield break;
            }
            yield return JsonDocument.Parse(data).RootElement.Clone();
        }
    }

    /// <summary>All events of a finished stream, checking that it ended with <c>[DONE]</c>.</summary>
    public static async Task<List<JsonElement>> ReadAllAsync(HttpResponseMessage response)
    {
        var events = new List<JsonElement>();
        var done = false;
        await foreach (var e in ReadAsync(response, TestContext.Current.CancellationToken))
        {
            if (e is { } data) events.Add(data);
            else done = true;
        }
        Assert.True(done, "the stream did not end with data: [DONE]");
        return events;
    }

    /// <summary>The concatenated string field <paramref name="name"/> of every chunk's <c>choices[0].delta</c>.</summary>
    public static string Delta(IEnumerable<JsonElement> chunks, string name) => string.Concat(chunks
        .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
        .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
        .Select(d => d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : ""));
}
