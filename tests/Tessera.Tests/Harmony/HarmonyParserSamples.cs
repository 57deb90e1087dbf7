// Realistic gpt-oss completions (what follows the prompt's `<|start|>assistant`) with the parse each must give.
// Shapes from openai/harmony docs/format.md and gpt-oss-facts.md §6, plus the broken outputs the parser must survive.

using Tessera.Chat.Harmony;
using static Tessera.Tests.Harmony.HarmonyParserTestKit;

namespace Tessera.Tests.Harmony;

internal static class HarmonyParserSamples
{
    private const string Weather = "{\"location\":\"Paris\"}";

    public static readonly IReadOnlyDictionary<string, (string Completion, HarmonyParseResult Expected)> All =
        new Dictionary<string, (string, HarmonyParseResult)>
        {
            ["analysis then final"] = (
                "<|channel|>analysis<|message|>User asks: \"What is 2 + 2?\" Simple arithmetic. Provide answer.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>",
                Result("2 + 2 = 4.", "User asks: \"What is 2 + 2?\" Simple arithmetic. Provide answer.")),

            ["tool call, recipient after role"] = (
                "<|channel|>analysis<|message|>Need the weather; call get_weather.<|end|>"
                + "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>" + Weather + "<|call|>",
                Result(reasoning: "Need the weather; call get_weather.", finish: "tool_calls", toolCalls: Tool(0, "get_weather", Weather))),

            ["tool call, recipient after channel"] = (
                "<|channel|>analysis<|message|>Need the weather.<|end|>"
                + "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>" + Weather + "<|call|>",
                Result(reasoning: "Need the weather.", finish: "tool_calls", toolCalls: Tool(0, "get_weather", Weather))),

            ["tool call as the first message"] = (
                " to=functions.get_weather<|channel|>commentary json<|message|>" + Weather + "<|call|>",
                Result(finish: "tool_calls", toolCalls: Tool(0, "get_weather", Weather))),

            ["tool call on the analysis channel"] = (
                "<|channel|>analysis to=functions.lookup <|constrain|>json<|message|>{}<|call|>",
                Result(finish: "tool_calls", toolCalls: Tool(0, "lookup", "{}"))),

            ["commentary preamble then tool call"] = (
                "<|channel|>analysis<|message|>Plan the files.<|end|>"
                + "<|start|>assistant<|channel|>commentary<|message|>**Action plan**:\n1. Generate an HTML file\n2. Start the server\n"
                + "---\nWill start executing the plan step by step<|end|>"
                + "<|start|>assistant<|channel|>commentary to=functions.generate_file<|constrain|>json<|message|>"
                + "{\"template\": \"basic_html\", \"path\": \"index.html\"}<|call|>",
                Result("**Action plan**:\n1. Generate an HTML file\n2. Start the server\n---\nWill start executing the plan step by step",
                    "Plan the files.", "tool_calls", Tool(0, "generate_file", "{\"template\": \"basic_html\", \"path\": \"index.html\"}"))),

            ["two tool calls in sequence"] = (
                "<|channel|>analysis<|message|>Weather and time.<|end|>"
                + "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>" + Weather + "<|call|>"
                + "<|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{\"tz\":\"CET\"}<|call|>",
                Result(reasoning: "Weather and time.", finish: "tool_calls",
                    toolCalls: [Tool(0, "get_weather", Weather), Tool(1, "get_time", "{\"tz\":\"CET\"}")])),

            ["tool call ended by <|end|>, then final"] = (
                "<|channel|>commentary to=functions.get_weather json<|message|>" + Weather + "<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>Checking the weather.<|return|>",
                Result("Checking the weather.", finish: "tool_calls", toolCalls: Tool(0, "get_weather", Weather))),

            ["final only"] = ("<|channel|>final<|message|>Hello! How can I help?<|return|>", Result("Hello! How can I help?")),

            ["final with constrained json"] = (
                "<|channel|>final <|constrain|>json<|message|>{\"items\":[\"coffee\",\"eggs\"]}<|return|>",
                Result("{\"items\":[\"coffee\",\"eggs\"]}")),

            ["turn begins with <|start|>assistant"] = (
                "<|start|>assistant<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>",
                Result("Done.", "Think.")),

            ["header without channel"] = ("<|start|>assistant<|message|>Hi there.<|return|>", Result("Hi there.")),

            ["message token right away"] = ("<|message|>Hi there.<|return|>", Result("Hi there.")),

            ["unknown channel"] = (
                "<|channel|>scratchpad<|message|>notes. <|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>",
                Result("notes. ok")),

            ["no header at all, truncated"] = ("Hello, world! How can I help you today?", Result("Hello, world! How can I help you today?", finish: "length")),

            ["no header at all, returned"] = ("Plain answer.\nSecond line.<|return|>", Result("Plain answer.\nSecond line.")),

            ["plain text that starts like a header"] = ("to be or not to be<|return|>", Result("to be or not to be")),

            ["text before the first header"] = ("Sure.<|channel|>final<|message|>Answer.<|return|>", Result("Sure.Answer.")),

            ["a lone word cut short"] = ("assist", Result("assist", finish: "length")),

            ["truncated in a header"] = (
                "<|channel|>analysis<|message|>Thinking.<|end|><|start|>assistant<|channel|>fin",
                Result(reasoning: "Thinking.", finish: "length")),

            ["truncated in the first header"] = ("<|channel|>analy", Result(finish: "length")),

            ["truncated in a body"] = (
                "<|channel|>analysis<|message|>Thinking.<|end|><|start|>assistant<|channel|>final<|message|>The answer is",
                Result("The answer is", "Thinking.", "length")),

            ["truncated in tool arguments"] = (
                "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"loc",
                Result(finish: "length", toolCalls: Tool(0, "get_weather", "{\"loc"))),

            ["empty completion"] = ("", Result(finish: "length")),

            ["unknown specials"] = (
                "<|reserved_200004|><|channel|>analysis<|message|>Think<|reserved_200013|>ing.<|end|><|endofprompt|>"
                + "<|start|>assistant<|channel|>final<|message|>Done<|startoftext|>.<|return|>",
                Result("Done.", "Thinking.")),

            ["misplaced message and constrain tokens in a body"] = (
                "<|channel|>final<|message|>a<|message|>b<|constrain|>c<|return|>", Result("abc")),

            ["new message without <|end|>"] = (
                "<|channel|>analysis<|message|>Think.<|start|>assistant<|channel|>final<|message|>Done.<|return|>",
                Result("Done.", "Think.")),

            ["channel token inside a body"] = (
                "<|channel|>analysis<|message|>Think.<|channel|>final<|message|>Done.<|return|>", Result("Done.", "Think.")),

            ["stray commentary before analysis"] = (
                "<|channel|>commentary to=assistant<|channel|>analysis<|message|>Let me think.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>Yes.<|return|>",
                Result("Yes.", "Let me think.")),

            ["built-in tool call"] = (
                "<|channel|>analysis to=python code<|message|>print(6 * 7)<|call|>", Result(reasoning: "print(6 * 7)")),

            ["end of text"] = ("<|channel|>final<|message|>Hi.<|endoftext|>", Result("Hi.")),

            ["line breaks between messages"] = (
                "<|channel|>analysis<|message|>Simple.<|end|>\n<|start|>assistant<|channel|>final<|message|>4<|return|>",
                Result("4", "Simple.")),

            ["garbage after <|start|>"] = (
                "<|start|>assistant, I think the answer is 4.<|end|>", Result("<|start|>assistant, I think the answer is 4.", finish: "length")),

            ["header that never ends"] = (
                "<|channel|>final Here is the answer\nwith more text<|return|>",
                Result("<|channel|>final Here is the answer\nwith more text")),

            ["unicode"] = (
                "<|channel|>analysis<|message|>Météo → pluie.<|end|><|start|>assistant<|channel|>final<|message|>Il pleut à Paris 🌧️.<|return|>",
                Result("Il pleut à Paris 🌧️.", "Météo → pluie.")),

            ["text after the turn ended"] = ("<|channel|>final<|message|>Hi.<|return|>Oops", Result("Hi.Oops", finish: "length")),

            ["header after the turn ended"] = ("<|channel|>final<|message|>Hi.<|return|><|start|>assistant<|channel|>fi", Result("Hi.")),
        };

    public static TheoryData<string> Names => [.. All.Keys];
}
