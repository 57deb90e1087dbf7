// OpenAI's error envelope: every 4xx and 5xx answer of the server is one of these.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary><c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed record ErrorResponse([property: JsonPropertyName("error")] ErrorBody Error);
