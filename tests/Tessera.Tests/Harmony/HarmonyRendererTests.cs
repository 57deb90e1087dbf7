// Behaviour of HarmonyRenderer beyond the goldens: defaults, the date, formats that add nothing.

using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

public class HarmonyRendererTests
{
    [Fact]
    public void Defaults_to_medium_reasoning_the_standard_identity_and_todays_date()
    {
        var before = DateOnly.FromDateTime(DateTime.Now);
        var prompt = HarmonyRenderer.Render([ChatMessage.User("hi")]);
        var after = DateOnly.FromDateTime(DateTime.Now);

        var today = prompt.Contains($"Current date: {after:yyyy-MM-dd}\n", StringComparison.Ordinal)
            || prompt.Contains($"Current date: {before:yyyy-MM-dd}\n", StringComparison.Ordinal);
        Assert.True(today, prompt);
        Assert.StartsWith("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n", prompt);
        Assert.Contains("\n\nReasoning: medium\n\n", prompt);
        Assert.EndsWith("<|start|>user<|message|>hi<|end|><|start|>assistant", prompt);
    }

    [Fact]
    public void Writes_the_given_knowledge_cutoff()
    {
        var prompt = HarmonyRenderer.Render([ChatMessage.User("hi")], new HarmonyOptions { KnowledgeCutoff = "2025-01", CurrentDate = new DateOnly(2026, 1, 1) });
        Assert.Contains("Knowledge cutoff: 2025-01\nCurrent date: 2026-01-01\n", prompt);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json_object")]
    public void Response_formats_without_a_schema_add_nothing(string type)
    {
        var options = new HarmonyOptions { CurrentDate = new DateOnly(2026, 1, 1) };
        ChatMessage[] messages = [ChatMessage.User("hi")];
        Assert.Equal(HarmonyRenderer.Render(messages, options), HarmonyRenderer.Render(messages, options with { ResponseFormat = new ChatResponseFormat(type) }));
    }

    [Fact]
    public void An_assistant_tool_call_with_reasoning_renders_the_reasoning_not_the_content()
    {
        ChatMessage[] messages =
        [
            ChatMessage.User("go"),
            new(ChatRole.Assistant, "a preamble") { Reasoning = "the reasoning", ToolCalls = [ChatToolCall.Create("1", "f", "{}")] },
        ];
        var prompt = HarmonyRenderer.Render(messages, new HarmonyOptions { CurrentDate = new DateOnly(2026, 1, 1) });
        Assert.Contains("<|start|>assistant<|channel|>analysis<|message|>the reasoning<|end|><|start|>assistant to=functions.f", prompt);
        Assert.DoesNotContain("a preamble", prompt);
    }

    [Fact]
    public void Null_messages_are_refused() => Assert.Throws<ArgumentNullException>(() => HarmonyRenderer.Render(null!));
}
