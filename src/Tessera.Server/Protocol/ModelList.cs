// OpenAI's `GET /v1/models` answer: a list object whose data is the one loaded model.

using System.Text.Json.Serialization;

namespace Tessera.Server.Protocol;

/// <summary><c>{"object": "list", "data": [...]}</c>.</summary>
internal sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyName("object")] public string Object => "list";
}
