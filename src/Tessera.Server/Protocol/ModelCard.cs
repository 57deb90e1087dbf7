// One entry of OpenAI's `GET /v1/models` list.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary>The loaded model as OpenAI's model object.</summary>
internal sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")] public string Object => "model";
}
