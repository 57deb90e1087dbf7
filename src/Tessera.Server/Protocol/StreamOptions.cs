// OpenAI's `stream_options` of a streamed request.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary>With <see cref="IncludeUsage"/>, one more chunk before <c>[DONE]</c> carries the usage and no choices.</summary>
internal sealed class StreamOptions
{
    [JsonPropertyName("include_usage")] public bool? IncludeUsage { get; set; }
}
