// Source-generated JSON for the request bodies the load test sends.

using System.Text.Json.Serialization;

namespace Tessera.LoadTest;

[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, bool>))]
[JsonSerializable(typeof(Dictionary<string, string>[]))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
internal sealed partial class LoadTestJsonContext : JsonSerializerContext;
