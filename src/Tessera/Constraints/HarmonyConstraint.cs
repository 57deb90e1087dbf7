// Structured output inside harmony (gpt-oss-facts.md §6): the constraint frames what the model writes after
// `<|start|>assistant`. The analysis channel stays free (up to an optional token budget, then `<|end|>` is forced);
// the next header is one of `<|channel|>final<|message|>` (unless a call is required) and, when tools are offered,
// `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>` or, recipient first as the chat template
// writes it, ` to=functions.NAME<|channel|>commentary <|constrain|>json<|message|>`; the body follows the answer's
// grammar or the function's, and `<|return|>` / `<|call|>` becomes possible exactly when that grammar is complete.

using System.Collections.Concurrent;
using System.Text;
using Tessera.Inference;
using static Tessera.Chat.Harmony.HarmonyTokens;

namespace Tessera.Constraints;

internal sealed class HarmonyConstraint : ITokenConstraint
{
    private const string AnalysisChannel = "analysis";
    private const string ToolHeaderStart = "commentary to=functions.";
    private const string RecipientPrefix = " to=functions.";

    private static readonly ConcurrentDictionary<string, Grammar> HeaderGrammars = new(StringComparer.Ordinal);

    private readonly TokenTrie _trie;
    private readonly Grammar? _answer;                              // the final answer's body, null = free text
    private readonly IReadOnlyDictionary<string, Grammar>? _tools;  // arguments grammar per callable function
    private readonly bool _callRequired;
    private readonly int _maxReasoningTokens;
    private readonly ulong[] _ordinary;

    private Stage _stage;
    private GrammarMatcher? _matcher;
    private string? _recipient;        // a function named before <|channel|>
    private int _end;                  // the special token that ends the current grammar segment
    private bool _analysisDone;
    private int _reasoningTokens;
    private readonly List<byte> _header = [];

    // Role: the rest of the role line (after `<|start|>assistant`, or the word itself after an analysis message), up to
    // <|channel|>: nothing, or a recipient.
    private enum Stage { Role, Header, ConstrainType, Body, Analysis, NextStart, Done }

    /// <summary>A constraint for an answer following <paramref name="answer"/> (null: free text) or a call of one of
    /// <paramref name="tools"/> with arguments following its grammar; <paramref name="callRequired"/> rules out the
    /// answer.</summary>
    public HarmonyConstraint(TokenTrie trie, Grammar? answer, IReadOnlyDictionary<string, Grammar>? tools, bool callRequired, int? maxReasoningTokens)
    {
        if (callRequired && tools is not { Count: > 0 }) throw new ArgumentException("a required call needs tools", nameof(tools));
        _trie = trie;
        _answer = answer;
        _tools = tools is { Count: > 0 } ? tools : null;
        _callRequired = callRequired;
        _maxReasoningTokens = maxReasoningTokens ?? int.MaxValue;
        _ordinary = OrdinaryMask(trie);
        Begin(Stage.Role, RoleGrammar(""), Channel);
    }

    public bool IsComplete => _stage == Stage.Done;

    public bool IsAllowed(int token)
    {
        switch (_stage)
        {
            case Stage.NextStart: return token == Start;
            case Stage.Analysis:
                return token == End || (_reasoningTokens < _maxReasoningTokens && IsOrdinary(token));
            case Stage.Done: return false;
        }
        if (token >= _trie.VocabularySize || token < 0) return false;
        if (token == _end) return _matcher is null || _matcher.IsAccepting;
        var bytes = _trie.TokenBytes[token];
        return bytes.Length > 0 && (_matcher is null || _matcher.Allows(bytes));
    }

    public TokenMask AllowedTokens() => _stage switch
    {
        Stage.NextStart => new(null, [Start]),
        Stage.Analysis => new(_reasoningTokens < _maxReasoningTokens ? _ordinary : null, [End]),
        Stage.Done => new(null, []),
        _ when _matcher is null => new(_ordinary, [_end]),
        _ => new(_matcher.CanContinue ? _matcher.Mask() : null, _matcher.IsAccepting ? [_end] : []),
    };

    public void Accept(int token)
    {
        if (!IsAllowed(token)) throw new InvalidOperationException($"token {token} is not allowed in harmony stage {_stage}");
        switch (_stage)
        {
            case Stage.Analysis:
                if (token == End) _stage = Stage.NextStart;
                else _reasoningTokens++;
                return;
            case Stage.NextStart:
                _header.Clear();
                Begin(Stage.Role, RoleGrammar("assistant"), Channel);
                return;
        }
        if (token != _end)
        {
            var bytes = _trie.TokenBytes[token];
            if (_matcher is not null && !_matcher.TryAccept(bytes)) throw new InvalidOperationException($"token {token} does not continue the grammar");
            if (_stage is Stage.Header or Stage.Role) _header.AddRange(bytes);
            if (_stage == Stage.Header) _end = EndOfHeader();
            return;
        }
        switch (_stage)
        {
            case Stage.Header when HeaderText == AnalysisChannel:
                _analysisDone = true;
                _stage = Stage.Analysis;
                _matcher = null;
                break;
            case Stage.Header when token == Message:
                Begin(Stage.Body, _answer, Return);
                break;
            case Stage.Header:
                Begin(Stage.ConstrainType, Header("json"), Message);
                break;
            case Stage.ConstrainType:
                var name = _recipient ?? HeaderText[ToolHeaderStart.Length..^1];
                Begin(Stage.Body, _tools![name], Call);
                break;
            case Stage.Role:
                var role = HeaderText;
                var at = role.IndexOf(RecipientPrefix, StringComparison.Ordinal);
                _recipient = at >= 0 ? role[(at + RecipientPrefix.Length)..] : null;
                _header.Clear();
                if (_recipient is null) Begin(Stage.Header, HeaderGrammar(), EndOfHeader());
                else Begin(Stage.Header, Header("commentary "), Constrain);
                break;
            case Stage.Body:
                _stage = Stage.Done;
                _matcher = null;
                break;
        }
    }

    private string HeaderText => Encoding.UTF8.GetString([.. _header]);

    private void Begin(Stage stage, Grammar? grammar, int end)
    {
        _stage = stage;
        _matcher = grammar is null ? null : new GrammarMatcher(grammar, _trie);
        _end = end;
    }

    // After the role: nothing more, or (when tools are offered) " to=functions.NAME".
    private Grammar RoleGrammar(string role)
    {
        var text = "root ::= " + JsonSchemaToGbnf.Literal(role);
        if (_tools is not null) text += $" ({JsonSchemaToGbnf.Literal(RecipientPrefix)} ({string.Join(" | ", _tools.Keys.Select(JsonSchemaToGbnf.Literal))}))?";
        return HeaderGrammars.GetOrAdd(text, static t => Grammar.Parse(t));
    }

    // The header ends in <|message|>, except a tool call's, which goes on with <|constrain|>json.
    private int EndOfHeader() => _recipient is not null || HeaderText.StartsWith(ToolHeaderStart, StringComparison.Ordinal) ? Constrain : Message;

    private Grammar HeaderGrammar()
    {
        var choices = new List<string>();
        if (!_analysisDone && _maxReasoningTokens > 0) choices.Add(JsonSchemaToGbnf.Literal(AnalysisChannel));
        if (!_callRequired) choices.Add("\"final\"");
        if (_tools is not null) choices.Add($"{JsonSchemaToGbnf.Literal(ToolHeaderStart)} ({string.Join(" | ", _tools.Keys.Select(JsonSchemaToGbnf.Literal))}) \" \"");
        return HeaderGrammars.GetOrAdd("root ::= " + string.Join(" | ", choices), static text => Grammar.Parse(text));
    }

    private static Grammar Header(string word) =>
        HeaderGrammars.GetOrAdd("root ::= " + JsonSchemaToGbnf.Literal(word), static text => Grammar.Parse(text));

    private bool IsOrdinary(int token) => (uint)token < (uint)_trie.VocabularySize && _trie.TokenBytes[token].Length > 0;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TokenTrie, ulong[]> OrdinaryMasks = new();

    private static ulong[] OrdinaryMask(TokenTrie trie) => OrdinaryMasks.GetValue(trie, static t =>
    {
        var mask = new ulong[(t.VocabularySize + 63) / 64];
        for (var id = 0; id < t.VocabularySize; id++)
            if (t.TokenBytes[id].Length > 0) mask[id >> 6] |= 1UL << id;
        return mask;
    });
}
