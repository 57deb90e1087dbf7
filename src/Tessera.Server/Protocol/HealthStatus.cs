// The body of `GET /health`, as llama-server answers it once the model is loaded.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary><c>{"status": "ok"}</c>.</summary>
internal sealed record HealthStatus([property: JsonPropertyName("status")] string Status);
