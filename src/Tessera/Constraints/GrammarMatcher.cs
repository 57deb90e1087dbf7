// One generation's position in a grammar: a state of the shared automaton, moved on by each accepted token.

namespace Tessera.Constraints;

internal sealed class GrammarMatcher
{
    private readonly GrammarAutomaton _automaton;
    private int _state;

    public GrammarMatcher(Grammar grammar, TokenTrie trie)
    {
        _automaton = grammar.AutomatonFor(trie);
        _state = _automaton.Initial;
    }

    /// <summary>Whether the text so far matches the whole grammar.</summary>
    public bool IsAccepting
    {
        get { lock (_automaton) return _automaton.IsAccepting(_state); }
    }

    /// <summary>Whether more text can follow.</summary>
    public bool CanContinue
    {
        get { lock (_automaton) return _automaton.CanContinue(_state); }
    }

    /// <summary>Whether <paramref name="bytes"/> can come next.</summary>
    public bool Allows(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return false;
        lock (_automaton) return _automaton.Walk(_state, bytes) != GrammarAutomaton.Dead;
    }

    /// <summary>Moves past <paramref name="bytes"/>; false (and no move) if the grammar does not allow them.</summary>
    public bool TryAccept(ReadOnlySpan<byte> bytes)
    {
        lock (_automaton)
        {
            var next = _automaton.Walk(_state, bytes);
            if (next == GrammarAutomaton.Dead) return false;
            _state = next;
            return true;
        }
    }

    /// <summary>The ordinary tokens allowed next (shared, read-only bit set over the vocabulary).</summary>
    public ulong[] Mask()
    {
        lock (_automaton) return _automaton.Mask(_state);
    }
}
