// The author of an OpenAI chat message (Chat Completions API `role`).

using System.Text.Json.Serialization;

namespace Tessera.Chat;

/// <summary>Who wrote a chat message, as the OpenAI Chat Completions API names it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatRole>))]
public enum ChatRole
{
    /// <summary>Instructions from whoever deploys the model (<c>"system"</c>).</summary>
    [JsonStringEnumMemberName("system")] System,

    /// <summary>Instructions from the application developer (<c>"developer"</c>); treated like system.</summary>
    [JsonStringEnumMemberName("developer")] Developer,

    /// <summary>The end user (<c>"user"</c>).</summary>
    [JsonStringEnumMemberName("user")] User,

    /// <summary>The model (<c>"assistant"</c>).</summary>
    [JsonStringEnumMemberName("assistant")] Assistant,

    /// <summary>The result of a tool call (<c>"tool"</c>).</summary>
    [JsonStringEnumMemberName("tool")] Tool,
}
