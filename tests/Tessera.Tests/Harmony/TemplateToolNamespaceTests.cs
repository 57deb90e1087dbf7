// Edge cases of the template's TypeScript rendering of tool schemas. Each expected text is what @huggingface/jinja
// renders with the gpt-oss template for the same tool (checked with tools/harmony-golden's engine).

using Tessera.Chat;
using Tessera.Chat.Harmony;

namespace Tessera.Tests.Harmony;

public class TemplateToolNamespaceTests
{
    [Theory]
    [InlineData("""{"a":{"type":"string","enum":["x"],"default":true}}""", null, "a?: \"x\", // default: true,\n")]
    [InlineData("""{"a":{"type":"string","default":null}}""", null, "a?: string, // default: null,\n")]
    [InlineData("""{"a":{"type":"string","enum":[]}}""", null, "a?: string,\n")]
    [InlineData("""{"a":{"type":"string","description":""}}""", null, "a?: string,\n")]
    [InlineData("""{"a":{}}""", null, "a?: any,\n")]
    [InlineData("""{"a":{"type":"null"}}""", null, "a?: any,\n")]
    [InlineData("""{"a":{"type":[]}}""", null, "a?: any,\n")]
    [InlineData("""{"a":{"type":["integer"]}}""", null, "a?: integer,\n")]
    [InlineData("""{"a":{"type":"array","items":{}}}""", null, "a?: any[],\n")]
    [InlineData("""{"a":{"type":"array","items":{"type":"array","items":{"type":"string"}}}}""", null, "a?: string[][],\n")]
    [InlineData("""{"a":{"type":"array","items":{"type":"object"}}}""", null, "a?: object[],\n")]
    [InlineData("""{"a":{"type":"array","items":{"type":"object","properties":{"aaaaaaaaaaaaaaaaaaaa":{"type":"string"},"bbbbbbbbbbbbbbbbbbbbbbbb":{"type":"number"}}}}}""", null, "a?: any[],\n")]
    [InlineData("""{"a":{"type":"object","properties":{}}}""", null, "a?: object,\n")]
    [InlineData("""{"a":{"type":"string"}}""", "\"a\"", "a: string,\n")]
    [InlineData("""{"a":{"type":"string"},"b":{"type":"string"}}""", """["b"]""", "a?: string,\nb: string,\n")]
    [InlineData("""{"a":{"oneOf":[]}}""", null, "a?: any,\n")]
    [InlineData("""{"a":{"oneOf":[{"type":"string","enum":["a","b"]},{"type":"array","items":{"type":"integer"},"nullable":true}]}}""", null, "a?: \"a\" | \"b\" | \nnumber[] | null,\n")]
    [InlineData("""{"a":{"anyOf":[{"type":"string"}]}}""", null, "a?: any,\n")]
    [InlineData("""{"a":{"type":"array","nullable":true}}""", null, "a?: any[] | null,\n")]
    [InlineData("""{"a":{"type":"number","nullable":true}}""", null, "a?: number,\n")]
    [InlineData("""{"a":{"type":"string","default":"é\u0001\u007f\u2028"}}""", null, "a?: string, // default: \"é\\u0001\u007f\u2028\",\n")]
    public void Renders_the_schema_as_the_template(string properties, string? required, string expectedMembers)
    {
        var parameters = $$"""{"type":"object","properties":{{properties}}{{(required is null ? "" : $",\"required\":{required}")}}}""";
        var prompt = HarmonyRenderer.Render([], new HarmonyOptions
        {
            CurrentDate = new DateOnly(2026, 1, 1),
            Tools = [ChatTool.Create("f", "D", parameters)],
        });
        Assert.Contains($"// D\ntype f = (_: {{\n{expectedMembers}}}) => any;\n\n}} // namespace functions", prompt);
    }
}
