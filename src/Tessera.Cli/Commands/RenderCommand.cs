// `tessera render`: the exact prompt (harmony format) the model sees for OpenAI-style chat messages, as the model's
// chat template would render it with add_generation_prompt (ending in <|start|>assistant).

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
        var messages = new Option<string>("--messages") { Description = "JSON file with an array of OpenAI chat messages", Required = true };
        var tools = new Option<string?>("--tools") { Description = "JSON file with an array of OpenAI tool definitions" };
        var effort = new Option<string>("--reasoning-effort") { Description = "low, medium or high", DefaultValueFactory = _ => "medium" };
        var date = new Option<string?>("--date") { Description = "Current date written into the system message (YYYY-MM-DD; default today)" };
        var harmony = new Option<bool>("--openai-harmony") { Description = "Render as openai/harmony does (tool arguments and results not JSON-encoded again)" };
        var command = new Command("render", "Print the prompt the model sees for a conversation") { model, messages, tools, effort, date, harmony };
        command.SetAction(r =>
        {
            if (r.GetValue(model) is { } path)
            {
                if (!File.Exists(path)) throw new CliException($"file not found: {path}");
                using var file = GgufFile.Open(path);
                var template = file[GgufKeys.ChatTemplate]?.Raw as string;
                if (template is null) stderr.WriteLine("warning: the model has no chat template; rendering gpt-oss's harmony format");
                else if (template != ChatTemplate.GptOss) stderr.WriteLine("warning: the model's chat template differs from gpt-oss's; rendering gpt-oss's harmony format");
            }
            var list = ReadJson(r.GetValue(messages)!, ChatJsonContext.Default.ListChatMessage, "--messages");
            var options = new HarmonyOptions
            {
                ReasoningEffort = r.GetValue(effort)!.ToLowerInvariant() switch
                {
                    "low" => ReasoningEffort.Low, "medium" => ReasoningEffort.Medium, "high" => ReasoningEffort.High,
                    var e => throw new CliException($"--reasoning-effort must be low, medium or high, not \"{e}\""),
                },
                CurrentDate = r.GetValue(date) is { } d
                    ? DateOnly.TryParseExact(d, "yyyy-MM-dd", out var day) ? day : throw new CliException($"--date must be YYYY-MM-DD, not \"{d}\"")
                    : null,
                Tools = r.GetValue(tools) is { } t ? ReadJson(t, ChatJsonContext.Default.ListChatTool, "--tools") : null,
                Compatibility = r.GetValue(harmony) ? HarmonyCompatibility.OpenAIHarmony : HarmonyCompatibility.ChatTemplate,
            };
            stdout.Write(HarmonyRenderer.Render(list, options));
            stdout.WriteLine();
            return 0;
        });
        return command;
    }

    private static T ReadJson<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string option)
    {
        if (!File.Exists(path)) throw new CliException($"{option}: file not found: {path}");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), type) ?? throw new CliException($"{option}: {path} holds null");
        }
        catch (JsonException e) { throw new CliException($"{option}: {path} is not valid: {e.Message}"); }
    }
}
