// The OpenAI-shaped chat types read what OpenAI-compatible clients send and write the OpenAI shape back.

using System.Text.Json;
using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

public class ChatJsonHarmonyTests
{
    private static List<ChatMessage> Parse(string json) => JsonSerializer.Deserialize(json, ChatJsonContext.Default.ListChatMessage)!;

    [Fact]
    public void Reads_content_as_string_null_or_text_parts()
    {
        var messages = Parse("""
            [{"role":"system","content":"S"},
             {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
             {"role":"assistant","content":null},
             {"role":"developer"}]
            """);
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Developer], messages.Select(m => m.Role));
        Assert.Equal(["S", "a\nb", null, null], messages.Select(m => m.Content));
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("thinking")]
    [InlineData("reasoning")]
    public void Reads_reasoning_under_each_name(string field)
    {
        var message = Parse($$"""[{"role":"assistant","content":"A","{{field}}":"R"}]""")[0];
        Assert.Equal("R", message.Reasoning);
    }

    [Fact]
    public void Prefers_reasoning_content_when_several_names_are_given()
    {
        var message = Parse("""[{"role":"assistant","reasoning":"3","thinking":"2","reasoning_content":"1"}]""")[0];
        Assert.Equal("1", message.Reasoning);
    }

    [Fact]
    public void Reads_tool_calls_and_tool_results()
    {
        var messages = Parse("""
            [{"role":"assistant","content":null,"tool_calls":[
                {"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}},
                {"id":"c2","type":"function","function":{"name":"g","arguments":{"b": [1, 2], "c": "é"}}}]},
             {"role":"tool","tool_call_id":"c1","name":"f","content":"ok"}]
            """);
        var calls = messages[0].ToolCalls!;
        Assert.Equal(("c1", "f", "{\"a\": 1}"), (calls[0].Id, calls[0].Function.Name, calls[0].Function.Arguments));
        Assert.Equal("{\"b\":[1,2],\"c\":\"é\"}", calls[1].Function.Arguments);  // an object becomes compact text, as llama.cpp does
        Assert.Equal(("c1", "f", "ok"), (messages[1].ToolCallId, messages[1].Name, messages[1].Content));
    }

    [Theory]
    [InlineData("""[{"content":"x"}]""", "role")]
    [InlineData("""[{"role":"robot","content":"x"}]""", "robot")]
    [InlineData("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]""", "image_url")]
    [InlineData("""[{"role":"user","content":42}]""", "content")]
    [InlineData("""[{"role":"assistant","tool_calls":[{"type":"function","function":{"arguments":"{}"}}]}]""", "name")]
    public void Rejects_what_it_cannot_render(string json, string mentioned)
    {
        var e = Assert.Throws<JsonException>(() => Parse(json));
        Assert.Contains(mentioned, e.Message);
    }

    [Fact]
    public void Writes_the_openai_shape_and_reads_it_back()
    {
        ChatMessage[] messages =
        [
            ChatMessage.System("S"),
            ChatMessage.AssistantToolCalls([ChatToolCall.Create("c1", "f", "{\"a\":1}")], reasoning: "R"),
            ChatMessage.Tool("c1", "ok", name: "f"),
        ];
        var json = JsonSerializer.Serialize(messages.ToList(), ChatJsonContext.Default.ListChatMessage);
        Assert.Equal("""
            [{"role":"system","content":"S"},{"role":"assistant","content":null,"reasoning_content":"R","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\u0022a\u0022:1}"}}]},{"role":"tool","content":"ok","tool_call_id":"c1","name":"f"}]
            """, json);
        var back = Parse(json);
        Assert.Equal(HarmonyRenderer.Render(messages, Options), HarmonyRenderer.Render(back, Options));
    }

    [Fact]
    public void Reads_tools_and_response_formats()
    {
        var tools = JsonSerializer.Deserialize("""
            [{"type":"function","function":{"name":"f","description":"D","parameters":{"type":"object","properties":{}},"strict":true}},
             {"type":"function","function":{"name":"g"}}]
            """, ChatJsonContext.Default.ListChatTool)!;
        Assert.Equal(("f", "D", JsonValueKind.Object), (tools[0].Function.Name, tools[0].Function.Description, tools[0].Function.Parameters!.Value.ValueKind));
        Assert.Equal(("g", null, null), (tools[1].Function.Name, tools[1].Function.Description, tools[1].Function.Parameters));

        var format = JsonSerializer.Deserialize("""{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"},"strict":true}}""",
            ChatJsonContext.Default.ChatResponseFormat)!;
        Assert.Equal(("json_schema", "n", true), (format.Type, format.JsonSchema!.Name, format.JsonSchema.Strict));
    }

    private static readonly HarmonyOptions Options = new() { CurrentDate = new DateOnly(2026, 1, 1) };
}
