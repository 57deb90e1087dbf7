using System.Diagnostics;
using Tessera.Chat;

namespace Tessera.Tests.Constraints;

public class StructuredOutputSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void Smoke()
    {
        using var model = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions { ContextSize = 1024, Threads = 2 });
        var schema = """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"]}""";
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            var c = model.CreateChatCompletion([ChatMessage.User("hi")], new ChatCompletionOptions
            {
                MaxTokens = 300, MaxReasoningTokens = 3, ResponseFormat = ChatResponseFormat.ForJsonSchema("p", schema),
                Sampling = new() { Seed = (ulong)i },
            });
            output.WriteLine($"{sw.ElapsedMilliseconds} ms {c.Usage.CompletionTokens} tok {c.Choices[0].FinishReason}: {c.Choices[0].Message.Content} | reasoning: {c.Choices[0].Message.Reasoning}");
        }
    }
}
