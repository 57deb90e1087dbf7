// The grammar's matcher as a lazily built byte automaton (one per grammar and vocabulary). A parser state is the set of
// pushdown stacks llama.cpp's grammar keeps (src/llama-grammar.cpp: advance_stack, accept), with stacks hash-consed
// into shared nodes so that equal states get equal ids, plus the bytes of a UTF-8 character still incomplete. Each
// state's 256 byte transitions are filled on first use, so walking the token trie is one table look-up per node, and
// each state's token mask is computed once and kept: generations under one schema mostly revisit states. A character
// begun whose possible code points every live stack accepts alike, and that can only end valid, is kept as "some
// character of this kind" rather than by its bits, so that multi-byte text does not multiply the states.

namespace Tessera.Constraints;

internal sealed class GrammarAutomaton
{
    public const int Dead = -1;
    private const int Unknown = -2;
    private const int AcceptStack = 0;   // the empty stack: the root rule has been matched
    private const int MaxCachedMasks = 4096;               // per automaton (a long schema visits a few thousand states)
    private const long MaxCachedMaskBytes = 256L << 20;    // over all automata
    private static long s_cachedMaskBytes;

    private readonly Grammar _g;
    private readonly TokenTrie _trie;

    // Stack nodes: node n is position NodePos[n] on top of node NodeBelow[n] (-1: bottom). Node 0 is the empty stack.
    private readonly List<int> _nodePos = [-1];
    private readonly List<int> _nodeBelow = [-1];
    private readonly Dictionary<long, int> _nodeIds = [];

    // States: sorted distinct stack (top node) ids plus a partial UTF-8 character.
    private readonly List<int[]> _stateStacks = [];
    private readonly List<Partial> _statePartial = [];
    private readonly List<int> _stateRep = [];   // for a settled partial character: a code point it stands for
    private readonly Dictionary<StateKey, int> _stateIds = new(new StateKeyComparer());
    private int[] _trans = [];   // [states × 256]: next state, Dead, or Unknown
    private readonly Dictionary<int, ulong[]> _masks = [];

    // Scratch for Advance.
    private readonly List<int> _scratch = [];
    private readonly HashSet<long> _expanded = [];

    // Continuation bytes still due, total length, bits so far; Length 0 and Value -1: settled (see _stateRep).
    private readonly record struct Partial(int Need, int Length, int Value)
    {
        public bool Settled => Length == 0;
    }

    private readonly record struct StateKey(int[] Stacks, Partial Partial);

    private sealed class StateKeyComparer : IEqualityComparer<StateKey>
    {
        public bool Equals(StateKey x, StateKey y) => x.Partial == y.Partial && x.Stacks.AsSpan().SequenceEqual(y.Stacks);

        public int GetHashCode(StateKey k)
        {
            var h = new HashCode();
            h.Add(k.Partial);
            foreach (var s in k.Stacks) h.Add(s);
            return h.ToHashCode();
        }
    }

    public GrammarAutomaton(Grammar grammar, TokenTrie trie)
    {
        _g = grammar;
        _trie = trie;
        _scratch.Clear();
        _expanded.Clear();
        foreach (var alt in _g.Alternatives[_g.Root]) Expand(alt, -1);
        Initial = Intern(Normalize(), default);
        if (Initial == Dead) throw new GrammarException("grammar error: the root rule matches nothing");
    }

    public TokenTrie Trie => _trie;

    public int Initial { get; }

    public int StateCount => _stateStacks.Count;

    public int CachedMasks => _masks.Count;

    /// <summary>Byte transitions computed so far, and stack nodes (bench figures).</summary>
    public long ComputedSteps { get; private set; }

    public int NodeCount => _nodePos.Count;

    /// <summary>Forgets the cached masks, keeping the transitions.</summary>
    public void ClearMasks()
    {
        foreach (var m in _masks.Values) Interlocked.Add(ref s_cachedMaskBytes, -m.Length * sizeof(ulong));
        _masks.Clear();
    }

    /// <summary>Whether the text so far is a complete match of the root rule.</summary>
    public bool IsAccepting(int state) => _statePartial[state].Need == 0 && _stateStacks[state][0] == AcceptStack;

    /// <summary>Whether some further character can follow.</summary>
    public bool CanContinue(int state) => _statePartial[state].Need > 0 || _stateStacks[state][^1] != AcceptStack;

    public int Step(int state, byte b)
    {
        var t = _trans[state * 256 + b];
        if (t != Unknown) return t;
        t = ComputeStep(state, b);   // may grow _trans: store after
        _trans[state * 256 + b] = t;
        return t;
    }

    /// <summary>The state after <paramref name="bytes"/>, or <see cref="Dead"/>.</summary>
    public int Walk(int state, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            state = Step(state, b);
            if (state == Dead) return Dead;
        }
        return state;
    }

    /// <summary>The ordinary tokens whose bytes can follow in <paramref name="state"/>, as a bit set over the
    /// vocabulary (bit i of word i / 64). Kept for reuse; callers must not modify it.</summary>
    public ulong[] Mask(int state)
    {
        if (_masks.TryGetValue(state, out var mask)) return mask;
        mask = new ulong[(_trie.VocabularySize + 63) / 64];
        var nodes = _trie.Nodes;
        var duplicates = _trie.Duplicates.Count > 0;
        // path[d]: row (state × 256) of the state after the first d bytes of the current node's prefix.
        Span<int> path = _trie.MaxDepth < 1024 ? stackalloc int[_trie.MaxDepth + 1] : new int[_trie.MaxDepth + 1];
        path[0] = state * 256;
        var trans = _trans;
        ref var node0 = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(nodes);
        ref var path0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(path);
        for (var i = 0; i < nodes.Length;)
        {
            ref readonly var node = ref System.Runtime.CompilerServices.Unsafe.Add(ref node0, i);
            var row = System.Runtime.CompilerServices.Unsafe.Add(ref path0, node.Depth - 1);
            var t = trans[row + node.Byte];
            if (t == Unknown)
            {
                t = Step(row >> 8, node.Byte);
                trans = _trans;   // Step may have grown the table
            }
            if (t == Dead)
            {
                i = node.SubtreeEnd;
                continue;
            }
            System.Runtime.CompilerServices.Unsafe.Add(ref path0, node.Depth) = t * 256;
            var token = node.Token;
            if (token >= 0)
            {
                mask[token >> 6] |= 1UL << token;
                if (duplicates && _trie.Duplicates.TryGetValue(i, out var more))
                    foreach (var m in more) mask[m >> 6] |= 1UL << m;
            }
            i++;
        }
        if (_masks.Count >= MaxCachedMasks || Interlocked.Read(ref s_cachedMaskBytes) > MaxCachedMaskBytes) ClearMasks();
        _masks[state] = mask;
        Interlocked.Add(ref s_cachedMaskBytes, mask.Length * sizeof(ulong));
        return mask;
    }

    private int ComputeStep(int state, byte b)
    {
        ComputedSteps++;
        var stacks = _stateStacks[state];
        var p = _statePartial[state];
        if (p.Need == 0)
        {
            if (b < 0x80) return Advance(stacks, b);
            var (need, value) = b switch
            {
                >= 0xC2 and <= 0xDF => (1, b & 0x1F),
                >= 0xE0 and <= 0xEF => (2, b & 0x0F),
                >= 0xF0 and <= 0xF4 => (3, b & 0x07),
                _ => (0, -1),
            };
            if (need == 0) return Dead;
            return Pending(stacks, new Partial(need, need + 1, value));
        }
        if (b is < 0x80 or > 0xBF) return Dead;
        if (p.Settled)
            return p.Need == 1 ? Advance(stacks, _stateRep[state]) : Intern(stacks, new Partial(p.Need - 1, 0, -1), _stateRep[state]);
        var next = new Partial(p.Need - 1, p.Length, p.Value << 6 | (b & 0x3F));
        if (next.Need > 0) return Pending(stacks, next);
        var cp = next.Value;
        if (cp < MinCodePoint(next.Length) || cp is >= 0xD800 and <= 0xDFFF || cp > CharSet.MaxCodePoint) return Dead;
        return Advance(stacks, cp);
    }

    private static int MinCodePoint(int length) => length switch { 2 => 0x80, 3 => 0x800, _ => 0x10000 };

    // A character begun but not finished: alive while some stack accepts a code point it may still become. Only those
    // stacks are kept; when each takes every such code point and none can be malformed, the bits no longer matter.
    private int Pending(int[] stacks, Partial p)
    {
        var first = p.Value << (6 * p.Need);
        var last = first | ((1 << (6 * p.Need)) - 1);
        var lo = Math.Max(first, MinCodePoint(p.Length));
        var hi = Math.Min(last, CharSet.MaxCodePoint);
        if (lo > hi) return Dead;
        var settled = lo == first && hi == last && (hi < 0xD800 || lo > 0xDFFF);
        var live = new List<int>(stacks.Length);
        foreach (var s in stacks)
        {
            if (s == AcceptStack) continue;
            var set = _g.CharSets[_g.Args[_nodePos[s]]];
            if (!set.Intersects(lo, hi)) continue;
            live.Add(s);
            if (settled && !set.ContainsRange(lo, hi)) settled = false;
        }
        if (live.Count == 0) return Dead;
        return settled ? Intern([.. live], new Partial(p.Need, 0, -1), lo) : Intern([.. live], p);
    }

    private int Advance(int[] stacks, int cp)
    {
        _scratch.Clear();
        _expanded.Clear();
        foreach (var s in stacks)
        {
            if (s == AcceptStack) continue;
            var pos = _nodePos[s];
            if (_g.CharSets[_g.Args[pos]].Contains(cp)) Expand(pos + 1, _nodeBelow[s]);
        }
        return _scratch.Count == 0 ? Dead : Intern(Normalize(), default);
    }

    // Adds to _scratch every stack whose top is a character set, reached from position `pos` over `below`.
    private void Expand(int pos, int below)
    {
        if (!_expanded.Add((long)pos << 32 | (uint)below)) return;
        var kinds = _g.Kinds;
        switch (kinds[pos])
        {
            case Grammar.End:
                if (below < 0) _scratch.Add(AcceptStack);
                else Expand(_nodePos[below], _nodeBelow[below]);
                break;
            case Grammar.CharsKind:
                _scratch.Add(Node(pos, below));
                break;
            default:
                // A reference in tail position needs no return address: the stack stays flat under repetition.
                var after = kinds[pos + 1] == Grammar.End ? below : Node(pos + 1, below);
                foreach (var alt in _g.Alternatives[_g.Args[pos]]) Expand(alt, after);
                break;
        }
    }

    private int[] Normalize()
    {
        _scratch.Sort();
        var n = 0;
        for (var i = 0; i < _scratch.Count; i++)
            if (n == 0 || _scratch[i] != _scratch[n - 1]) _scratch[n++] = _scratch[i];
        return [.. _scratch.Take(n)];
    }

    private int Node(int pos, int below)
    {
        var key = (long)pos << 32 | (uint)below;
        if (_nodeIds.TryGetValue(key, out var id)) return id;
        id = _nodePos.Count;
        _nodePos.Add(pos);
        _nodeBelow.Add(below);
        _nodeIds[key] = id;
        return id;
    }

    private int Intern(int[] stacks, Partial partial, int rep = -1)
    {
        if (stacks.Length == 0) return Dead;
        var key = new StateKey(stacks, partial);
        if (_stateIds.TryGetValue(key, out var id)) return id;
        id = _stateStacks.Count;
        _stateStacks.Add(stacks);
        _statePartial.Add(partial);
        _stateRep.Add(rep);
        _stateIds[key] = id;
        if (_trans.Length < (id + 1) * 256)
        {
            var grown = new int[Math.Max(_trans.Length * 2, 256 * 64)];
            _trans.CopyTo(grown, 0);
            grown.AsSpan(_trans.Length).Fill(Unknown);
            _trans = grown;
        }
        return id;
    }
}
