// What one request of the load test came to.

namespace Tessera.LoadTest;

/// <summary>HTTP status (or 0 with <see cref="Error"/> for a failure without one), time to the first generated text,
/// time to the end of the stream, and the completion tokens the server reported.</summary>
internal readonly record struct RequestResult(int Status, double FirstTokenMs, double TotalMs, int CompletionTokens, string? Error = null)
{
    /// <summary>The row this result is counted under in the report: the status, or the exception's type.</summary>
    public string Outcome => Error ?? Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
