// Where the GGUF's chat template and openai/harmony disagree, HarmonyCompatibility picks one. These tests pin each
// difference, and check the OpenAIHarmony mode against renderings from openai/harmony's own test data.

using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

public class HarmonyCompatibilityTests
{
    private static string Render(string golden, HarmonyCompatibility compatibility)
    {
        var c = GoldenCase.Load(golden);
        return HarmonyRenderer.Render(c.Messages, c.Options(compatibility));
    }

    [Fact]
    public void The_template_json_encodes_arguments_and_results_a_second_time_harmony_does_not()
    {
        const string call = "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>";
        const string result = "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>";

        var template = Render("09-tool-call-continuation", HarmonyCompatibility.ChatTemplate);
        var harmony = Render("09-tool-call-continuation", HarmonyCompatibility.OpenAIHarmony);

        Assert.EndsWith(call + "\"{\\\"location\\\":\\\"San Francisco\\\"}\"<|call|>"
            + result + "\"{\\\"sunny\\\": true, \\\"temperature\\\": 20}\"<|end|><|start|>assistant", template);
        Assert.EndsWith(call + "{\"location\":\"San Francisco\"}<|call|>"
            + result + "{\"sunny\": true, \"temperature\": 20}<|end|><|start|>assistant", harmony);
    }

    [Fact]
    public void The_template_renders_only_the_first_parallel_call_harmony_renders_each_and_names_results_by_id()
    {
        const string analysis = "<|start|>assistant<|channel|>analysis<|message|>Two independent lookups: weather and time.<|end|>";

        var template = Render("11-parallel-tool-calls", HarmonyCompatibility.ChatTemplate);
        var harmony = Render("11-parallel-tool-calls", HarmonyCompatibility.OpenAIHarmony);

        Assert.EndsWith(analysis
            + "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>\"{\\\"location\\\": \\\"Paris\\\"}\"<|call|>"
            + "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>\"{\\\"temperature\\\": 12}\"<|end|>"
            + "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>\"14:05\"<|end|><|start|>assistant", template);
        Assert.EndsWith(analysis
            + "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"location\": \"Paris\"}<|call|>"
            + "<|start|>assistant to=functions.get_time<|channel|>commentary json<|message|>{\"timezone\": \"Europe/Paris\"}<|call|>"
            + "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"temperature\": 12}<|end|>"
            + "<|start|>functions.get_time to=assistant<|channel|>commentary<|message|>14:05<|end|><|start|>assistant", harmony);
    }

    [Fact]
    public void A_harmony_result_without_a_known_call_id_takes_its_name_then_the_last_call()
    {
        ChatMessage[] messages =
        [
            ChatMessage.User("go"),
            ChatMessage.AssistantToolCalls([ChatToolCall.Create("1", "first", "{}"), ChatToolCall.Create("2", "second", "{}")]),
            ChatMessage.Tool("unknown", "a", name: "named"),
            ChatMessage.Tool("unknown", "b"),
            ChatMessage.Tool("1", "c"),
        ];
        var prompt = HarmonyRenderer.Render(messages, new HarmonyOptions { CurrentDate = new DateOnly(2026, 1, 1), Compatibility = HarmonyCompatibility.OpenAIHarmony });
        Assert.EndsWith("<|start|>functions.named to=assistant<|channel|>commentary<|message|>a<|end|>"
            + "<|start|>functions.second to=assistant<|channel|>commentary<|message|>b<|end|>"
            + "<|start|>functions.first to=assistant<|channel|>commentary<|message|>c<|end|><|start|>assistant", prompt);
    }

    [Fact]
    public void The_template_ends_instructions_with_a_blank_line_harmony_does_not()
    {
        var template = Render("06-developer-message", HarmonyCompatibility.ChatTemplate);
        var harmony = Render("06-developer-message", HarmonyCompatibility.OpenAIHarmony);
        Assert.Contains("<|start|>developer<|message|># Instructions\n\nAlways respond in riddles.\n\n<|end|>", template);
        Assert.Contains("<|start|>developer<|message|># Instructions\n\nAlways respond in riddles.<|end|>", harmony);
    }

    [Fact]
    public void The_template_adds_a_comma_after_a_default_comment_harmony_does_not()
    {
        var template = Render("09-tool-call-continuation", HarmonyCompatibility.ChatTemplate);
        var harmony = Render("09-tool-call-continuation", HarmonyCompatibility.OpenAIHarmony);
        Assert.Contains("format?: \"celsius\" | \"fahrenheit\", // default: celsius,\n}) => any;", template);
        Assert.Contains("format?: \"celsius\" | \"fahrenheit\", // default: celsius\n}) => any;", harmony);
    }

    // openai/harmony test_render_functions_with_parameters (tests/test_harmony.py and its test-data file).
    [Fact]
    public void Harmony_mode_renders_tools_as_openai_harmony()
    {
        ChatTool[] tools =
        [
            ChatTool.Create("get_location", "Gets the location of the user."),
            ChatTool.Create("get_current_weather", "Gets the current weather in the provided location.", """
                {"type":"object","properties":{
                  "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
                  "format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},
                 "required":["location"]}
                """),
            ChatTool.Create("get_multiple_weathers", "Gets the current weather in the provided list of locations.", """
                {"type":"object","properties":{
                  "locations":{"type":"array","items":{"type":"string"},"description":"List of city and state, e.g. [\"San Francisco, CA\", \"New York, NY\"]"},
                  "format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},
                 "required":["locations"]}
                """),
            ChatTool.Create("kitchensink", "A function with various complex schemas.", """
                {"description":"params object","type":"object","properties":{
                  "string":{"type":"string","title":"STRING","description":"A string","examples":["hello","world"]},
                  "string_nullable":{"type":"string","nullable":true,"description":"A nullable string","default":"the default"},
                  "string_enum":{"type":"string","enum":["a","b","c"]},
                  "oneof_string_or_number":{"oneOf":[{"type":"string","default":"default_string_in_oneof"},{"type":"number","description":"numbers can happen too"}],
                    "description":"a oneof","default":20}}}
                """),
        ];
        var prompt = HarmonyRenderer.Render(
            [ChatMessage.Developer("Always respond in riddles"), ChatMessage.User("What is the weather like in SF?")],
            new HarmonyOptions
            {
                CurrentDate = new DateOnly(2025, 6, 28),
                ReasoningEffort = ReasoningEffort.High,
                Tools = tools,
                Compatibility = HarmonyCompatibility.OpenAIHarmony,
            });

        Assert.Equal("""
            <|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.
            Knowledge cutoff: 2024-06
            Current date: 2025-06-28

            Reasoning: high

            # Valid channels: analysis, commentary, final. Channel must be included for every message.
            Calls to these tools must go to the commentary channel: 'functions'.<|end|><|start|>developer<|message|># Instructions

            Always respond in riddles

            # Tools

            ## functions

            namespace functions {

            // Gets the location of the user.
            type get_location = () => any;

            // Gets the current weather in the provided location.
            type get_current_weather = (_: {
            // The city and state, e.g. San Francisco, CA
            location: string,
            format?: "celsius" | "fahrenheit", // default: celsius
            }) => any;

            // Gets the current weather in the provided list of locations.
            type get_multiple_weathers = (_: {
            // List of city and state, e.g. ["San Francisco, CA", "New York, NY"]
            locations: string[],
            format?: "celsius" | "fahrenheit", // default: celsius
            }) => any;

            // A function with various complex schemas.
            type kitchensink = (_: // params object
            {
            // STRING
            //
            // A string
            // Examples:
            // - "hello"
            // - "world"
            string?: string,
            // A nullable string
            string_nullable?: string | null, // default: "the default"
            string_enum?: "a" | "b" | "c",
            // a oneof
            // default: 20
            oneof_string_or_number?:
             | string // default: "default_string_in_oneof"
             | number // numbers can happen too
            ,
            }) => any;

            } // namespace functions<|end|><|start|>user<|message|>What is the weather like in SF?<|end|><|start|>assistant
            """, prompt);
    }

    // openai/harmony test_browser_and_function_tool: built-in browser plus one function, no messages. The template
    // writes the same text, so both modes agree here.
    [Theory]
    [InlineData(HarmonyCompatibility.ChatTemplate)]
    [InlineData(HarmonyCompatibility.OpenAIHarmony)]
    public void Builtin_browser_and_a_function_render_as_openai_harmony(HarmonyCompatibility compatibility)
    {
        var prompt = HarmonyRenderer.Render([], new HarmonyOptions
        {
            CurrentDate = new DateOnly(2025, 6, 28),
            BuiltinTools = HarmonyBuiltinTools.Browser,
            Tools = [ChatTool.Create("lookup_weather",
                "Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.",
                """{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}""")],
            Compatibility = compatibility,
        });
        Assert.StartsWith("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: medium\n\n# Tools\n\n## browser\n\n// Tool for browsing.\n", prompt);
        Assert.EndsWith("""
            } // namespace browser

            # Valid channels: analysis, commentary, final. Channel must be included for every message.
            Calls to these tools must go to the commentary channel: 'functions'.<|end|><|start|>developer<|message|># Tools

            ## functions

            namespace functions {

            // Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.
            type lookup_weather = (_: {
            location: string,
            }) => any;

            } // namespace functions<|end|><|start|>assistant
            """, prompt);
    }

    [Fact]
    public void Harmony_nested_objects_are_indented()
    {
        var prompt = HarmonyRenderer.Render([], new HarmonyOptions
        {
            CurrentDate = new DateOnly(2026, 1, 1),
            Tools = [ChatTool.Create("book", "", """
                {"type":"object","properties":{
                  "place":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string","default":"00000"}},"required":["city"]},
                  "tags":{"type":"array","items":{"type":"string","enum":["a","b"]}},
                  "size":{"type":["integer","null"]},
                  "when":{"oneOf":[{"type":"string","description":"ISO date"},{"type":"integer"}],"description":"ISO date"}},
                 "required":["place"]}
                """)],
            Compatibility = HarmonyCompatibility.OpenAIHarmony,
        });
        // An empty description writes no comment line; members of a nested object carry the indent of their depth;
        // a oneOf property's description equal to its first variant's is written nowhere.
        Assert.Contains("""
            namespace functions {

            type book = (_: {
            place: {
                city: string,
                zip?: string, // default: "00000"
                },
            tags?: "a" | "b"[],
            size?: number | null,
            when?:
             | string
             | number
            ,
            }) => any;

            } // namespace functions
            """, prompt);
    }
}
