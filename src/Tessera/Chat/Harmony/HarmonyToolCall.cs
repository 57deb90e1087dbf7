// A tool call collected from harmony output: a message to functions.NAME (openai/harmony docs/format.md, "Receiving tool calls").

namespace Tessera.Chat.Harmony;

/// <summary>A function call the model made.</summary>
/// <param name="Id">The id given by the parser (<c>call_…</c>), to be echoed by the tool's result.</param>
/// <param name="Name">The function name, without the <c>functions.</c> namespace.</param>
/// <param name="Arguments">The message body as generated: normally a JSON object, unchecked (incomplete when truncated).</param>
public sealed record HarmonyToolCall(string Id, string Name, string Arguments);
