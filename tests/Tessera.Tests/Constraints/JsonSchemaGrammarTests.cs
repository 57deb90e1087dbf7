// The JSON Schema compiler on its own: the grammar accepts instances of the schema and refuses others, integer bounds
// are exact, patterns match as searches, and what is not supported is refused with the keyword named.

using System.Text.Json;
using Tessera.Constraints;

namespace Tessera.Tests.Constraints;

public class JsonSchemaGrammarTests
{
    private static bool Accepts(string schema, string instance) => GbnfGrammarTests.Matches(Grammar.FromJsonSchema(schema), instance);

    [Theory]
    [InlineData("""{"name":"Bob","age":30}""", true)]
    [InlineData("{ \"name\": \"Bob\",\n  \"age\": 120 }", true)]
    [InlineData("""{"name":"Bob","age":121}""", false)]
    [InlineData("""{"name":"Bob"}""", false)]
    [InlineData("""{"age":3,"name":"Bob"}""", false)]   // properties come in the schema's order
    [InlineData("""{"name":"Bob","age":3,"x":1}""", false)]
    [InlineData("""{"name":"a\"b\\c\u00e9\ud83d\ude00","age":0}""", true)]
    [InlineData("""{"name":"thirteen char","age":1}""", false)]
    [InlineData("""{"name":"twelve chars","age":1}""", true)]
    public void ObjectWithBoundedMembers(string instance, bool expected) =>
        Assert.Equal(expected, Accepts(BoundedSchemas.All[0].Schema, instance));

    [Fact]
    public void OptionalPropertiesMayBeLeftOutInAnyCombination()
    {
        var schema = BoundedSchemas.All.Single(s => s.Name == "optional").Schema;
        Assert.True(Accepts(schema, """{"b":""}"""));
        Assert.True(Accepts(schema, """{"a":1,"b":"x"}"""));
        Assert.True(Accepts(schema, """{"b":"x","c":true}"""));
        Assert.True(Accepts(schema, """{"a":5,"b":"xyz","c":false}"""));
        Assert.False(Accepts(schema, """{"a":1}"""));
        Assert.False(Accepts(schema, """{"a":1,,"b":""}"""));
        Assert.False(Accepts(schema, """{,"b":""}"""));
    }

    [Fact]
    public void ArraysRespectMinAndMaxItems()
    {
        var schema = """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""";
        Assert.False(Accepts(schema, "[1]"));
        Assert.True(Accepts(schema, "[1,2]"));
        Assert.True(Accepts(schema, "[1, 2, 3]"));
        Assert.False(Accepts(schema, "[1,2,3,4]"));
        Assert.False(Accepts(schema, "[]"));
    }

    [Fact]
    public void RecursiveRefsWork()
    {
        var schema = """{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","kids"]}},"$ref":"#/$defs/node"}""";
        Assert.True(Accepts(schema, """{"v":1,"kids":[{"v":2,"kids":[]},{"v":3,"kids":[{"v":4,"kids":[]}]}]}"""));
        Assert.False(Accepts(schema, """{"v":1,"kids":[{"v":2}]}"""));
    }

    [Fact]
    public void EnumConstAnyOfAndTypeUnions()
    {
        var enums = BoundedSchemas.All.Single(s => s.Name == "enums").Schema;
        Assert.True(Accepts(enums, """{"color":"red","size":2.5}"""));
        Assert.True(Accepts(enums, """{"color":"blue","size":"x\"y"}"""));
        Assert.False(Accepts(enums, """{"color":"Red","size":1}"""));
        var anyOf = BoundedSchemas.All.Single(s => s.Name == "any-of").Schema;
        Assert.True(Accepts(anyOf, """{"value":7}"""));
        Assert.True(Accepts(anyOf, """{"value":"abcde"}"""));
        Assert.True(Accepts(anyOf, """{"value":null}"""));
        Assert.False(Accepts(anyOf, """{"value":10}"""));
        Assert.True(Accepts("""{"type":["integer","null"]}""", "null"));
        Assert.True(Accepts("""{"type":["integer","null"]}""", "-12"));
        Assert.False(Accepts("""{"type":["integer","null"]}""", "1.5"));
    }

    [Theory]
    [InlineData(-300L, 300L)]
    [InlineData(0L, 0L)]
    [InlineData(-7L, -3L)]
    [InlineData(8L, 12L)]
    [InlineData(5L, 1000L)]
    [InlineData(-1000L, -99L)]
    [InlineData(-1L, 0L)]
    [InlineData(190L, 210L)]
    [InlineData(99L, 101L)]
    public void IntegerRangesAreExact(long lo, long hi)
    {
        var g = Grammar.Parse("root ::= " + IntegerRange.Gbnf(lo, hi));
        for (var n = -1100L; n <= 1100; n++)
            Assert.True(GbnfGrammarTests.Matches(g, n.ToString(System.Globalization.CultureInfo.InvariantCulture)) == (n >= lo && n <= hi), $"{n} in [{lo}, {hi}]");
        Assert.False(GbnfGrammarTests.Matches(g, "-0"));
        Assert.False(GbnfGrammarTests.Matches(g, "007"));
    }

    [Fact]
    public void WideIntegerRangesAreExactAtTheirEdges()
    {
        var g = Grammar.Parse("root ::= " + IntegerRange.Gbnf(-1_000_000, 123_456_789));
        foreach (var n in new long[] { -1_000_000, -999_999, 0, 99_999_999, 123_456_789, 123_456_788, 100_000_000 }) Assert.True(GbnfGrammarTests.Matches(g, n.ToString(System.Globalization.CultureInfo.InvariantCulture)), n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var n in new long[] { -1_000_001, 123_456_790, 200_000_000, 1_000_000_000 }) Assert.False(GbnfGrammarTests.Matches(g, n.ToString(System.Globalization.CultureInfo.InvariantCulture)), n.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("^[A-Z]{3}-[0-9]{2,4}$", "\"ABC-12\"", true)]
    [InlineData("^[A-Z]{3}-[0-9]{2,4}$", "\"ABC-12345\"", false)]
    [InlineData("^[A-Z]{3}-[0-9]{2,4}$", "\"xABC-12\"", false)]
    [InlineData("ab+c", "\"xx abbbc yy\"", true)]
    [InlineData("ab+c", "\"ac\"", false)]
    [InlineData("^(yes|no)\\.?$", "\"no.\"", true)]
    [InlineData("^a\"b\\\\c$", "\"a\\\"b\\\\c\"", true)]
    [InlineData("^\\d+(\\.\\d{1,2})?$", "\"12.50\"", true)]
    [InlineData("^\\d+(\\.\\d{1,2})?$", "\"12.\"", false)]
    [InlineData("^[^a-z]*$", "\"ABC 12\"", true)]
    [InlineData("^[^a-z]*$", "\"ABc\"", false)]
    public void PatternsMatchAsSearches(string pattern, string instance, bool expected) =>
        Assert.Equal(expected, Accepts(JsonSerializer.Serialize(new { type = "string", pattern }), instance));

    [Theory]
    [InlineData("""{"type":"integer","multipleOf":2}""", "multipleOf")]
    [InlineData("""{"not":{"type":"string"}}""", "not")]
    [InlineData("""{"oneOf":[{"type":"string"}]}""", "oneOf")]
    [InlineData("""{"type":"object","patternProperties":{"^a":{}}}""", "patternProperties")]
    [InlineData("""{"type":"array","prefixItems":[{"type":"string"}]}""", "prefixItems")]
    [InlineData("""{"type":"string","format":"hostname"}""", "format")]
    [InlineData("""{"type":"string","pattern":"(?=a)b"}""", "pattern")]
    [InlineData("""{"type":"string","pattern":"a\\1"}""", "pattern")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "$ref")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref")]
    [InlineData("""{"type":"strnig"}""", "type")]
    [InlineData("""{"type":"array","minItems":3,"maxItems":2}""", "maxItems")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":4}""", "minimum")]
    [InlineData("""{"if":{"type":"string"},"then":{"minLength":1}}""", "if")]
    public void UnsupportedKeywordsAreRefusedByName(string schema, string keyword)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.FromJsonSchema(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.Contains(keyword, e.Message);
    }

    [Fact]
    public void InvalidJsonIsRefused() =>
        Assert.Contains("not valid JSON", Assert.Throws<GrammarException>(() => Grammar.FromJsonSchema("{\"type\":")).Message);

    [Fact]
    public void AnnotationsAreIgnored() =>
        Assert.True(Accepts("""{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"d","type":"boolean","default":true,"examples":[false]}""", "false"));

    [Fact]
    public void MinLengthPrefixIsAsciiSoGraphemeCountsHold()
    {
        var schema = """{"type":"string","minLength":2,"maxLength":4}""";
        Assert.True(Accepts(schema, "\"ab\""));
        Assert.True(Accepts(schema, "\"abéé\""));
        Assert.False(Accepts(schema, "\"éé\""));   // generated as a subset: the first two characters are ASCII
        Assert.False(Accepts(schema, "\"a\""));
        Assert.False(Accepts(schema, "\"abcde\""));
    }
}
