// `tessera render`: the exact prompt (harmony format) the model sees for OpenAI-style chat messages, as the model's
// chat template would render it with add_generation_prompt (ending in <|start|>assistant). --messages holds an array of
// messages or a whole OpenAI request body ({"messages": [...], "tools": [...], "reasoning_effort": ...}); a file that is
// neither is refused naming the line, or the message and field, that is wrong.

using System.CommandLine;
using System.Text.Json;
using Tessera.Chat;
using Tessera.Chat.Harmony;
using Tessera.Gguf;

namespace Tessera.Cli.Commands;

internal static class RenderCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model (its chat template is checked against the gpt-oss one)" };
        var messages = new Option<string>("--messages") { Description = "JSON file with an array of OpenAI chat messages, or an OpenAI request body with \"messages\" (and \"tools\", \"reasoning_effort\")", Required = true };
        var tools = new Option<string?>("--tools") { Description = "JSON file with an array of OpenAI tool definitions" };
        var effort = new Option<string>("--reasoning-effort") { Description = "low, medium or high", DefaultValueFactory = _ => "medium" };
        var date = new Option<string?>("--date") { Description = "Current date written into the system message (YYYY-MM-DD; default today)" };
        var harmony = new Option<bool>("--openai-harmony") { Description = "Render as openai/harmony does (tool arguments and results not JSON-encoded again)" };
        var command = new Command("render", "Print the prompt the model sees for a conversation") { model, messages, tools, effort, date, harmony };
        command.SetAction(r =>
        {
            if (r.GetValue(model) is { } path)
            {
                using var file = GgufFile.Open(ModelReference.RequireFile(path));
                var template = file[GgufKeys.ChatTemplate]?.Raw as string;
                if (template is null) stderr.WriteLine("warning: the model has no chat template; rendering gpt-oss's harmony format");
                else if (template != ChatTemplate.GptOss) stderr.WriteLine("warning: the model's chat template differs from gpt-oss's; rendering gpt-oss's harmony format");
            }
            var (messagesJson, toolsJson, effortJson, where) = ReadRequest(r.GetValue(messages)!);
            var list = Read(messagesJson, ChatJsonContext.Default.ListChatMessage, "--messages", where, "an array of chat messages ({\"role\": ..., \"content\": ...})");
            // The option when given, else the body's reasoning_effort, else medium.
            var fromBody = effortJson is not null && r.GetResult(effort) is null or { Implicit: true };
            var options = new HarmonyOptions
            {
                ReasoningEffort = fromBody
                    ? GenerationOptions.ParseEffort(effortJson! is "minimal" or "none" ? "low" : effortJson!, "--messages: reasoning_effort")   // as the server reads them
                    : GenerationOptions.ParseEffort(r.GetValue(effort)!, "--reasoning-effort"),
                CurrentDate = r.GetValue(date) is { } d
                    ? DateOnly.TryParseExact(d, "yyyy-MM-dd", out var day) ? day : throw new CliException($"--date must be YYYY-MM-DD, not \"{d}\"")
                    : null,
                Tools = r.GetValue(tools) is { } t ? Read(ReadFile(t, "--tools"), ChatJsonContext.Default.ListChatTool, "--tools", "", "an array of tool definitions")
                    : toolsJson is { } body ? Read(body, ChatJsonContext.Default.ListChatTool, "--messages", "tools", "an array of tool definitions")
                    : null,
                Compatibility = r.GetValue(harmony) ? HarmonyCompatibility.OpenAIHarmony : HarmonyCompatibility.ChatTemplate,
            };
            stdout.Write(HarmonyRenderer.Render(list, options));
            stdout.WriteLine();
            return 0;
        });
        return command;
    }

    // The file's messages (and tools and reasoning_effort when it is a request body) and the field the messages are in.
    private static (JsonElement Messages, JsonElement? Tools, string? Effort, string Where) ReadRequest(string path)
    {
        var root = ReadFile(path, "--messages");
        if (root.ValueKind == JsonValueKind.Array) return (root, null, null, "messages");
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var list))
            return (list,
                root.TryGetProperty("tools", out var t) && t.ValueKind != JsonValueKind.Null ? t : null,
                root.TryGetProperty("reasoning_effort", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null,
                "messages");
        throw new CliException($"--messages: {path} must hold an array of chat messages, or an OpenAI request body with \"messages\"");
    }

    private static JsonElement ReadFile(string path, string option)
    {
        if (!File.Exists(path)) throw new CliException($"{option}: file not found: {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.Clone();
        }
        catch (JsonException e) { throw new CliException($"{option}: {path} is not valid JSON (line {e.LineNumber + 1}, character {e.BytePositionInLine + 1})"); }
    }

    // The serializer's messages name .NET types ("could not be converted to System.Collections.Generic.List`1[...]"):
    // said here as the field of the file that is wrong; Tessera's own converters (an unknown role) already speak in words.
    private static T Read<T>(JsonElement json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string option, string where, string what)
    {
        try
        {
            return json.Deserialize(type) ?? throw new CliException($"{option}: {(where.Length > 0 ? where : "the file")} must be {what}, not null");
        }
        catch (JsonException e)
        {
            var field = where + (e.Path is null or "$" ? "" : e.Path.TrimStart('$'));
            var subject = field.Length > 0 ? field : "the file";
            throw new CliException(e.Message.Contains("could not be converted", StringComparison.Ordinal) || e.Message.Contains("LineNumber", StringComparison.Ordinal)
                ? (field == where ? $"{option}: {subject} must be {what}" : $"{option}: {subject} has the wrong kind of value")
                : $"{option}: {subject}: {e.Message}");
        }
    }
}
