// `tessera tokenize` (like llama-tokenize) and `tessera render` (the prompt for OpenAI messages).

using System.Text.Json;
using Tessera.Tests.Harmony;

namespace Tessera.Tests.Cli;

public class TokenizeAndRenderCommandTests
{
    [Fact]
    public void TokenizePrintsIdsAndPieces()
    {
        var (code, output, err) = CliRunner.Run("tokenize", "-m", TestModels.Tiny, "Hello world<|end|>");
        Assert.True(code == 0, err);
        Assert.Contains("13225 -> 'Hello'", output);
        Assert.Contains("2375 -> ' world'", output);
        Assert.Contains("200007 -> '<|end|>'", output);
        Assert.Contains("3 tokens", output);
    }

    [Fact]
    public void TokenizeIdsJsonAndNoSpecial()
    {
        Assert.Equal("[13225, 2375, 200006]", CliRunner.Run("tokenize", "-m", TestModels.Tiny, "--ids", "Hello world<|start|>").Out.Trim());
        // <|start|> is user-defined in llama.cpp's eyes: parsed even without special parsing; <|return|> is a control token.
        var plain = CliRunner.Run("tokenize", "-m", TestModels.Tiny, "--ids", "--no-special", "<|return|>").Out;
        Assert.DoesNotContain("200002", plain);
        var json = CliRunner.Run("tokenize", "-m", TestModels.Tiny, "--json", "é😀");
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("é😀", string.Concat(doc.RootElement.EnumerateArray().Select(t => t.GetProperty("piece").GetString())));
    }

    [Fact]
    public void TokenizeReadsStandardInput()
    {
        var stdout = new StringWriter();
        var code = Tessera.Cli.TesseraCommand.Run(["tokenize", "-m", TestModels.Tiny, "--ids"], stdout, new StringWriter(), new StringReader("Hello world"));
        Assert.Equal(0, code);
        Assert.Equal("[13225, 2375]", stdout.ToString().Trim());
    }

    [Fact]
    public void RenderPrintsTheTemplatePrompt()
    {
        var input = Path.Combine(GoldenCase.Folder, "01-system-only.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(input));
        var messages = TestModels.TempPath("messages.json");
        File.WriteAllText(messages, doc.RootElement.GetProperty("messages").GetRawText());
        var (code, output, err) = CliRunner.Run("render", "-m", TestModels.Tiny, "--messages", messages, "--date", doc.RootElement.GetProperty("current_date").GetString()!);
        Assert.True(code == 0, err);
        Assert.Empty(err);
        Assert.Equal(File.ReadAllText(Path.Combine(GoldenCase.Folder, "01-system-only.prompt.txt")), output[..^Environment.NewLine.Length]);
    }

    [Fact]
    public void RenderRejectsBadInputInOneLine()
    {
        var messages = TestModels.TempPath("bad.json");
        File.WriteAllText(messages, "[{\"role\": \"user\", \"content\": ");
        var (code, _, err) = CliRunner.Run("render", "--messages", messages);
        Assert.Equal(1, code);
        Assert.StartsWith("error: --messages:", err);
        var good = TestModels.TempPath("good.json");
        File.WriteAllText(good, "[{\"role\": \"user\", \"content\": \"hi\"}]");
        Assert.Contains("must be low, medium or high", CliRunner.Run("render", "--messages", good, "--reasoning-effort", "max").Err);
    }

    [Fact]
    public void RenderTakesAnOpenAIRequestBodyToo()
    {
        const string Messages = """[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]""";
        var array = TestModels.TempPath("messages.json");
        File.WriteAllText(array, Messages);
        var body = TestModels.TempPath("request.json");
        File.WriteAllText(body, $$"""{"model":"gpt-oss","stream":true,"reasoning_effort":"high","messages":{{Messages}}}""");
        var (code, fromArray, err) = CliRunner.Run("render", "--messages", array, "--date", "2025-06-01", "--reasoning-effort", "high");
        Assert.True(code == 0, err);
        (code, var fromBody, err) = CliRunner.Run("render", "--messages", body, "--date", "2025-06-01");
        Assert.True(code == 0, err);
        Assert.Equal(fromArray, fromBody);
        Assert.Contains("Reasoning: high", fromBody);

        // The body's tools are offered as --tools would offer them; the option still wins over the body's effort.
        File.WriteAllText(body, """{"messages":""" + Messages + ""","reasoning_effort":"high","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""");
        (code, var withTools, err) = CliRunner.Run("render", "--messages", body, "--date", "2025-06-01", "--reasoning-effort", "low");
        Assert.True(code == 0, err);
        Assert.Contains("type get_weather = ", withTools);
        Assert.Contains("Reasoning: low", withTools);

        // Newer OpenAI models' "minimal" and "none" are gpt-oss's low, as the server reads them.
        File.WriteAllText(body, """{"messages":""" + Messages + ""","reasoning_effort":"minimal"}""");
        (code, var minimal, err) = CliRunner.Run("render", "--messages", body, "--date", "2025-06-01");
        Assert.True(code == 0, err);
        Assert.Contains("Reasoning: low", minimal);
    }

    [Theory]
    [InlineData("""{"model":"x"}""", "error: --messages: FILE must hold an array of chat messages, or an OpenAI request body with \"messages\"")]
    [InlineData("""{"messages":{"role":"user"}}""", "error: --messages: messages must be an array of chat messages ({\"role\": ..., \"content\": ...})")]
    [InlineData("""[{"role":"user","content":7}]""", "error: --messages: messages[0]: \"content\" must be a string")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"max"}""", "error: --messages: reasoning_effort must be low, medium or high, not \"max\"")]
    [InlineData("[1, 2", "error: --messages: FILE is not valid JSON (line 1, character 6)")]
    public void ABadRequestFileIsRefusedInWords(string json, string message)
    {
        var path = TestModels.TempPath("bad.json");
        File.WriteAllText(path, json);
        var (code, _, err) = CliRunner.Run("render", "--messages", path);
        Assert.Equal(1, code);
        Assert.StartsWith(message.Replace("FILE", path), err.Trim());
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("System.", err);
    }
}
