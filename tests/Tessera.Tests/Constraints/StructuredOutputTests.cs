// Structured output on the tiny random-weight model, the harshest case: the model knows nothing of JSON, so every
// valid answer is the constraint's doing. Each schema's generations must finish ("stop") and validate with
// JsonSchema.Net; json_object answers are one JSON object, and a cut answer says "length"; a required tool call's
// arguments validate against the tool's schema. TESSERA_STRUCTURED_GENERATIONS sets generations per schema
// (default 6 in CI; the acceptance run uses 200).

using System.Text.Json;
using Json.Schema;
using Tessera.Chat;
using Tessera.Constraints;
using Tessera.Inference;

namespace Tessera.Tests.Constraints;

public sealed class TinyModelFixture : IDisposable
{
    public TesseraModel Model { get; } = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions { ContextSize = 2048, Threads = 2 });

    public void Dispose() => Model.Dispose();
}

public class StructuredOutputTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static readonly int Generations =
        int.TryParse(Environment.GetEnvironmentVariable("TESSERA_STRUCTURED_GENERATIONS"), out var n) && n > 0 ? n : 6;

    private static readonly EvaluationOptions Strict = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.List };

    public static TheoryData<string> SchemaNames() => [.. BoundedSchemas.All.Select(s => s.Name)];

    private TesseraModel Model => fixture.Model;

    internal static void AssertValid(string schemaJson, string instance, string context)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(instance); }
        catch (JsonException e) { Assert.Fail($"{context}: not JSON ({e.Message}): {instance}"); return; }
        using (doc)
        {
            var result = JsonSchema.FromText(schemaJson).Evaluate(doc.RootElement, Strict);
            Assert.True(result.IsValid, $"{context}: {instance} does not validate: " +
                string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        }
    }

    [Theory]
    [MemberData(nameof(SchemaNames))]
    public void EveryGenerationFinishesAndValidates(string name)
    {
        var schema = BoundedSchemas.All.Single(s => s.Name == name).Schema;
        for (var i = 0; i < Generations; i++)
        {
            var completion = Model.CreateChatCompletion([ChatMessage.User("Answer in JSON.")], new ChatCompletionOptions
            {
                MaxTokens = 1000,
                MaxReasoningTokens = i % 3,   // none, or a short analysis message first
                ResponseFormat = ChatResponseFormat.ForJsonSchema(name, schema),
                Sampling = new() { Seed = (ulong)i, Temperature = 1 },
            });
            var choice = completion.Choices[0];
            Assert.True(choice.FinishReason == "stop", $"{name} #{i}: finish {choice.FinishReason}: {choice.Message.Content}");
            AssertValid(schema, choice.Message.Content ?? "", $"{name} #{i}");
        }
    }

    [Fact]
    public void JsonObjectAnswersAreOneObjectOrSayLength()
    {
        var finished = 0;
        for (var i = 0; i < Generations * 2; i++)
        {
            var completion = Model.CreateChatCompletion([ChatMessage.User("JSON please.")], new ChatCompletionOptions
            {
                MaxTokens = 24,
                MaxReasoningTokens = 0,
                ResponseFormat = new ChatResponseFormat("json_object"),
                Sampling = new() { Seed = (ulong)i },
            });
            var choice = completion.Choices[0];
            if (choice.FinishReason == "length")
            {
                Assert.Equal(24, completion.Usage.CompletionTokens);
                continue;
            }
            Assert.Equal("stop", choice.FinishReason);
            using var doc = JsonDocument.Parse(choice.Message.Content!);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
            finished++;
        }
        // Four tokens are the frame (<|channel|>final<|message|> and <|return|>): no room for an answer.
        var cut = Model.CreateChatCompletion([ChatMessage.User("JSON please.")], new ChatCompletionOptions
        {
            MaxTokens = 4, MaxReasoningTokens = 0, ResponseFormat = new ChatResponseFormat("json_object"),
        });
        Assert.Equal("length", cut.Choices[0].FinishReason);
    }

    private const string WeatherParameters = """{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":10},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""";
    private const string TimeParameters = """{"type":"object","properties":{"zone":{"type":"integer","minimum":-12,"maximum":14}},"required":["zone"]}""";

    [Fact]
    public void RequiredToolCallsAlwaysCallWithValidArguments()
    {
        ChatTool[] tools = [ChatTool.Create("get_weather", "Weather now", WeatherParameters), ChatTool.Create("get_time", "Time now", TimeParameters)];
        var schemas = new Dictionary<string, string> { ["get_weather"] = WeatherParameters, ["get_time"] = TimeParameters };
        var names = new HashSet<string>();
        for (var i = 0; i < Generations * 2; i++)
        {
            var completion = Model.CreateChatCompletion([ChatMessage.User("Weather in Paris?")], new ChatCompletionOptions
            {
                MaxTokens = 300, MaxReasoningTokens = i % 2 * 3, Tools = tools, ToolChoice = "required", Sampling = new() { Seed = (ulong)i },
            });
            var choice = completion.Choices[0];
            Assert.Equal("tool_calls", choice.FinishReason);
            var call = Assert.Single(choice.Message.ToolCalls!);
            names.Add(call.Function.Name);
            AssertValid(schemas[call.Function.Name], call.Function.Arguments, $"call #{i}");
        }
        // Offering one tool forces it (what tool_choice naming a function becomes).
        var named = Model.CreateChatCompletion([ChatMessage.User("Time?")], new ChatCompletionOptions
        {
            MaxTokens = 300, MaxReasoningTokens = 0, Tools = [tools[1]], ToolChoice = "required", Sampling = new() { Seed = 5 },
        });
        Assert.Equal("get_time", Assert.Single(named.Choices[0].Message.ToolCalls!).Function.Name);
    }

    [Fact]
    public void GbnfGrammarConstrainsTheAnswer()
    {
        var grammar = Grammar.Parse(GbnfGrammarTests.Chess);
        for (var i = 0; i < Generations; i++)
        {
            var completion = Model.CreateChatCompletion([ChatMessage.User("Play chess.")], new ChatCompletionOptions
            {
                MaxTokens = 200, MaxReasoningTokens = 0, Grammar = Grammar.Parse("root ::= \"1. \" move \" \" move\nmove ::= [a-h] [1-8] | \"O-O\""),
                Sampling = new() { Seed = (ulong)i },
            });
            Assert.Equal("stop", completion.Choices[0].FinishReason);
            Assert.Matches("^1\\. ([a-h][1-8]|O-O) ([a-h][1-8]|O-O)$", completion.Choices[0].Message.Content);
            Assert.True(GbnfGrammarTests.Matches(grammar, completion.Choices[0].Message.Content!));
        }
    }

    [Fact]
    public void StreamingDeliversTheSameConstrainedAnswer()
    {
        var schema = BoundedSchemas.All[0].Schema;
        var options = new ChatCompletionOptions { MaxTokens = 300, MaxReasoningTokens = 2, ResponseFormat = ChatResponseFormat.ForJsonSchema("p", schema), Sampling = new() { Seed = 11 } };
        var whole = Model.CreateChatCompletion([ChatMessage.User("x")], options).Choices[0].Message.Content;
        var streamed = string.Concat(Model.CreateChatCompletionStreaming([ChatMessage.User("x")], options).ToBlockingEnumerable().Select(c => c.Choices.FirstOrDefault()?.Delta.Content));
        Assert.Equal(whole, streamed);
        AssertValid(schema, streamed, "streamed");
    }

    [Fact]
    public void GreedyConstrainedDecodingIsTheArgmaxOfTheAllowedTokens()
    {
        var schema = BoundedSchemas.All[2].Schema;
        var options = new ChatCompletionOptions { MaxTokens = 300, MaxReasoningTokens = 0, ResponseFormat = ChatResponseFormat.ForJsonSchema("a", schema), Sampling = SamplingOptions.Greedy };
        var a = Model.CreateChatCompletion([ChatMessage.User("x")], options).Choices[0];
        var b = Model.CreateChatCompletion([ChatMessage.User("x")], options).Choices[0];
        Assert.Equal("stop", a.FinishReason);
        Assert.Equal(a.Message.Content, b.Message.Content);
        AssertValid(schema, a.Message.Content!, "greedy");
    }

    [Fact]
    public void StrictFunctionsAreFollowedWhenTheModelCallsThem()
    {
        var strict = new ChatTool(new ChatFunction("get_weather", "Weather now", JsonDocument.Parse(WeatherParameters).RootElement.Clone(), Strict: true));
        var schema = BoundedSchemas.All[0].Schema;
        int calls = 0, answers = 0;
        for (var i = 0; i < Generations * 3; i++)
        {
            // tool_choice auto with a response format: the model may call the tool or answer in the format.
            var completion = Model.CreateChatCompletion([ChatMessage.User("Weather?")], new ChatCompletionOptions
            {
                MaxTokens = 300, MaxReasoningTokens = 0, Tools = [strict], ResponseFormat = ChatResponseFormat.ForJsonSchema("p", schema),
                Sampling = new() { Seed = (ulong)i },
            });
            var choice = completion.Choices[0];
            if (choice.FinishReason == "tool_calls")
            {
                calls++;
                AssertValid(WeatherParameters, Assert.Single(choice.Message.ToolCalls!).Function.Arguments, $"call #{i}");
            }
            else
            {
                answers++;
                Assert.Equal("stop", choice.FinishReason);
                AssertValid(schema, choice.Message.Content!, $"answer #{i}");
            }
        }
        Assert.True(calls > 0 && answers > 0, $"{calls} calls, {answers} answers");
    }

    [Fact]
    public void AStrictFunctionWithAnUnsupportedSchemaIsRefused()
    {
        var bad = """{"type":"object","properties":{"n":{"type":"integer","multipleOf":2}}}""";
        var options = new ChatCompletionOptions { Tools = [new ChatTool(new ChatFunction("f", null, JsonDocument.Parse(bad).RootElement.Clone(), Strict: true))] };
        Assert.Contains("multipleOf", Assert.Throws<GrammarException>(options.Validate).Message);
        // Not strict and not required: its calls are any JSON object.
        (options with { Tools = [ChatTool.Create("f", null, bad)] }).Validate();
    }
}
