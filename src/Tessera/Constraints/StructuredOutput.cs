// From chat options to the constraint that enforces them: the answer's grammar (a GBNF grammar, json_object, or a
// json_schema compiled once and cached by its text), each tool's arguments grammar for a required call, and the
// reasoning budget. Compiling here, when the request is validated, turns a bad schema into a bad request.

using System.Collections.Concurrent;
using System.Text.Json;
using Tessera.Chat;

namespace Tessera.Constraints;

internal static class StructuredOutput
{
    private const int MaxCachedSchemas = 64;
    private static readonly ConcurrentDictionary<string, Grammar> Schemas = new(StringComparer.Ordinal);

    /// <summary>The grammar of a JSON schema, compiled once per schema text.</summary>
    public static Grammar ForSchema(string schemaJson)
    {
        if (Schemas.TryGetValue(schemaJson, out var grammar)) return grammar;
        grammar = Grammar.FromJsonSchema(schemaJson);
        if (Schemas.Count >= MaxCachedSchemas) Schemas.Clear();
        return Schemas.GetOrAdd(schemaJson, grammar);
    }

    /// <summary>The grammar the final answer must follow, or null for free text.</summary>
    public static Grammar? AnswerGrammar(ChatCompletionOptions options)
    {
        var format = options.ResponseFormat;
        var json = format?.Type is "json_object" or "json_schema";
        if (options.Grammar is { } grammar)
        {
            if (json) throw new ArgumentException($"set either {nameof(ChatCompletionOptions.Grammar)} or a JSON response format, not both", nameof(ChatCompletionOptions.Grammar));
            return grammar;
        }
        return format switch
        {
            { Type: "json_object" } => Grammar.AnyJsonObject,
            { Type: "json_schema", JsonSchema.Schema: { ValueKind: JsonValueKind.Object } schema } => ForSchema(schema.GetRawText()),
            { Type: "json_schema" } => Grammar.AnyJsonObject,
            _ => null,
        };
    }

    /// <summary>Each offered function's arguments grammar (none when tools are off). A schema that does not compile is
    /// an error for a strict function or a required call, and any JSON object otherwise.</summary>
    public static Dictionary<string, Grammar>? ToolGrammars(ChatCompletionOptions options)
    {
        if (options.ToolChoice == "none" || options.Tools is not { Count: > 0 } tools) return null;
        var grammars = new Dictionary<string, Grammar>(StringComparer.Ordinal);
        foreach (var tool in tools)
        {
            var f = tool.Function;
            if (grammars.ContainsKey(f.Name)) throw new ArgumentException($"two tools are named \"{f.Name}\"", nameof(ChatCompletionOptions.Tools));
            try
            {
                grammars[f.Name] = f.Parameters is { ValueKind: JsonValueKind.Object } p
                    ? ForSchema(p.GetRawText())
                    : ForSchema("""{"type":"object","additionalProperties":false}""");
            }
            catch (GrammarException e) when (f.Strict == true || options.ToolChoice == "required")
            {
                throw new GrammarException($"tool \"{f.Name}\": {e.Message}") { Keyword = e.Keyword };
            }
            catch (GrammarException)
            {
                grammars[f.Name] = Grammar.AnyJsonObject;
            }
        }
        return grammars;
    }

    /// <summary>The constraint for a chat turn under <paramref name="options"/>, or null when nothing is constrained:
    /// no response format or grammar, no required call, no strict function and no reasoning budget.</summary>
    public static HarmonyConstraint? Create(ChatCompletionOptions options, TokenTrie trie)
    {
        var tools = ToolGrammars(options);
        var required = tools is not null && options.ToolChoice == "required";
        var answer = AnswerGrammar(options);
        var strict = options.ToolChoice != "none" && options.Tools?.Any(t => t.Function.Strict == true) == true;
        if (!required && answer is null && !strict && options.MaxReasoningTokens is null) return null;
        return new HarmonyConstraint(trie, answer, tools, required, options.MaxReasoningTokens);
    }
}
