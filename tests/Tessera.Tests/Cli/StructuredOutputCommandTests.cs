// `tessera run` with --json-schema, --grammar and --json: the answer follows them; a bad schema or grammar is one
// error line naming the keyword or the line and column.

using System.Text.Json;
using Tessera.Tests.Constraints;

namespace Tessera.Tests.Cli;

public class StructuredOutputCommandTests
{
    [Fact]
    public void JsonSchemaTextConstrainsTheAnswer()
    {
        var schema = BoundedSchemas.All[0].Schema;
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Who?", "-n", "300", "--seed", "3",
            "--max-reasoning-tokens", "0", "--json-schema", schema, "--device", "cpu");
        Assert.True(code == 0, err);
        StructuredOutputTests.AssertValid(schema, output.Trim(), "tessera run --json-schema");
    }

    [Fact]
    public void GrammarFileConstrainsTheAnswer()
    {
        var path = TestModels.TempPath("moves.gbnf");
        File.WriteAllText(path, "# two moves\nroot ::= move \" \" move\nmove ::= [a-h] [1-8]\n");
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Move.", "-n", "50", "--max-reasoning-tokens", "0", "--grammar", path, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Matches("^[a-h][1-8] [a-h][1-8]$", output.Trim());
    }

    [Fact]
    public void JsonFlagGivesOneObject()
    {
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "JSON", "-n", "400", "--seed", "1", "--max-reasoning-tokens", "0", "--json", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(output.Trim()).RootElement.ValueKind);
    }

    [Fact]
    public void UnsupportedSchemaKeywordIsNamed()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "x", "--json-schema", """{"type":"integer","multipleOf":2}""");
        Assert.Equal(1, code);
        Assert.Contains("multipleOf", err);
    }

    [Fact]
    public void GrammarErrorSaysWhere()
    {
        var path = TestModels.TempPath("bad.gbnf");
        File.WriteAllText(path, "root ::= item\nitem ::= [a-z\n");
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "x", "--grammar", path);
        Assert.Equal(1, code);
        Assert.Contains("line 2, column 10", err);
    }

    [Fact]
    public void OnlyOneFormatAtATime()
    {
        var (code, _, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "x", "--json", "--json-schema", "{}");
        Assert.Equal(1, code);
        Assert.Contains("only one of", err);
    }
}
