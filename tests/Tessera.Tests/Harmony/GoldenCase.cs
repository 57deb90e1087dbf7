// One golden conversation (Harmony/Golden/<name>.json): an OpenAI-shaped chat request plus the chat template's
// kwargs, as tools/harmony-golden/render-golden.mjs reads it.

using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

internal sealed record GoldenCase(
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("current_date")] string CurrentDate,
    [property: JsonPropertyName("messages")] List<ChatMessage> Messages,
    [property: JsonPropertyName("tools")] List<ChatTool>? Tools = null,
    [property: JsonPropertyName("reasoning_effort")] string? ReasoningEffort = null,
    [property: JsonPropertyName("model_identity")] string? ModelIdentity = null,
    [property: JsonPropertyName("builtin_tools")] List<string>? BuiltinTools = null,
    [property: JsonPropertyName("response_format")] ChatResponseFormat? ResponseFormat = null,
    [property: JsonPropertyName("expect_error")] bool ExpectError = false)
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Harmony", "Golden");

    public static IEnumerable<string> Names =>
        Directory.EnumerateFiles(Folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);

    public static GoldenCase Load(string name) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(Folder, name + ".json")), GoldenJsonContext.Default.GoldenCase)
        ?? throw new InvalidDataException($"{name}.json is empty");

    public HarmonyOptions Options(HarmonyCompatibility compatibility = HarmonyCompatibility.ChatTemplate) => new()
    {
        CurrentDate = DateOnly.ParseExact(CurrentDate, "yyyy-MM-dd"),
        ReasoningEffort = ReasoningEffort is null ? Chat.Harmony.ReasoningEffort.Medium : Enum.Parse<ReasoningEffort>(ReasoningEffort, ignoreCase: true),
        ModelIdentity = ModelIdentity ?? HarmonyOptions.DefaultModelIdentity,
        Tools = Tools,
        ResponseFormat = ResponseFormat,
        BuiltinTools = (BuiltinTools ?? []).Aggregate(HarmonyBuiltinTools.None, (all, tool) => all | Enum.Parse<HarmonyBuiltinTools>(tool, ignoreCase: true)),
        Compatibility = compatibility,
    };
}

[JsonSerializable(typeof(GoldenCase))]
internal sealed partial class GoldenJsonContext : JsonSerializerContext;
