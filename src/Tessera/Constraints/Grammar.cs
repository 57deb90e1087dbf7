// A context-free grammar over Unicode code points, in the form the matcher walks: every rule a list of alternatives,
// every alternative a sequence of character sets and rule references, all laid out in one flat array (llama.cpp's
// llama_grammar_element layout, src/llama-grammar.h). Repetition and groups are already rewritten into rules.

namespace Tessera.Constraints;

/// <summary>A compiled grammar that constrains generated text: from GBNF (<see cref="Parse"/>, llama.cpp's syntax)
/// or from a JSON schema (<see cref="FromJsonSchema"/>). Immutable and thread-safe; compile once, use for many
/// generations (the per-vocabulary token masks are cached with it).</summary>
public sealed class Grammar
{
    internal const int End = -1;   // Kinds[i]: end of an alternative

    // Element i of the flat layout: Kinds[i] = End, or RuleRefKind with Args[i] = rule id, or CharsKind with Args[i] =
    // index into CharSets.
    internal const int RuleRefKind = 1;
    internal const int CharsKind = 2;

    internal Grammar(string source, int[] kinds, int[] args, int[][] alternatives, CharSet[] charSets, string[] ruleNames, int root)
    {
        Source = source;
        Kinds = kinds;
        Args = args;
        Alternatives = alternatives;
        CharSets = charSets;
        RuleNames = ruleNames;
        Root = root;
    }

    /// <summary>The grammar in GBNF, as given or as compiled from a JSON schema.</summary>
    public string Source { get; }

    internal int[] Kinds { get; }          // [elements]
    internal int[] Args { get; }           // [elements]
    internal int[][] Alternatives { get; } // [rules][alternatives]: index of the alternative's first element
    internal CharSet[] CharSets { get; }
    internal string[] RuleNames { get; }   // [rules]
    internal int Root { get; }

    /// <summary>Parses GBNF text (llama.cpp's grammar syntax: <c>name ::= ...</c> rules, string literals, character
    /// classes, <c>.</c>, groups, <c>|</c>, <c>* + ?</c>, <c>{m}</c> <c>{m,}</c> <c>{m,n}</c>, <c># comments</c>).</summary>
    /// <param name="gbnf">The grammar text.</param>
    /// <param name="root">The start rule; <c>root</c> by default.</param>
    /// <exception cref="GrammarException">A syntax error (with line and column), an undefined or missing rule, or left
    /// recursion.</exception>
    public static Grammar Parse(string gbnf, string root = "root")
    {
        ArgumentNullException.ThrowIfNull(gbnf);
        return GbnfParser.Parse(gbnf, root);
    }

    /// <summary>Compiles a JSON schema to a grammar of the JSON texts it accepts (compact JSON, properties in the
    /// schema's order).</summary>
    /// <exception cref="GrammarException">The schema uses a keyword or a form the compiler does not support (named in
    /// the message and in <see cref="GrammarException.Keyword"/>), or is not valid JSON.</exception>
    public static Grammar FromJsonSchema(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        return Parse(JsonSchemaToGbnf.Convert(schemaJson));
    }

    /// <summary>Any JSON object, with any values nested in it (what <c>response_format: json_object</c> asks for).</summary>
    public static Grammar AnyJsonObject => AnyJsonObjectGrammar.Value;

    private static readonly Lazy<Grammar> AnyJsonObjectGrammar = new(() => Parse(JsonSchemaToGbnf.AnyJsonObjectGbnf));

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TokenTrie, GrammarAutomaton> _automata = new();

    /// <summary>The matcher automaton of this grammar over <paramref name="trie"/>'s vocabulary, built on first use and
    /// shared by every generation; lock it while stepping it.</summary>
    internal GrammarAutomaton AutomatonFor(TokenTrie trie) => _automata.GetValue(trie, t => new GrammarAutomaton(this, t));

    public override string ToString() => Source;
}
