// The byte strings of a vocabulary's ordinary tokens as a trie laid out in preorder (depth and subtree end per node),
// so that a mask is one forward loop that skips a whole subtree as soon as its prefix is rejected. Built once per
// tokenizer and cached.

using System.Runtime.CompilerServices;
using Tessera.Tokenization;

namespace Tessera.Constraints;

internal sealed class TokenTrie
{
    private static readonly ConditionalWeakTable<BpeTokenizer, TokenTrie> Cache = new();

    public TokenTrie(IReadOnlyList<byte[]> tokenBytes)
    {
        VocabularySize = tokenBytes.Count;
        var ids = Enumerable.Range(0, tokenBytes.Count).Where(i => tokenBytes[i].Length > 0).ToArray();
        Array.Sort(ids, (a, b) =>
        {
            var c = tokenBytes[a].AsSpan().SequenceCompareTo(tokenBytes[b]);
            return c != 0 ? c : a.CompareTo(b);
        });

        var bytes = new List<byte>();
        var depths = new List<int>();
        var tokens = new List<int>();
        var duplicates = new Dictionary<int, List<int>>();
        var open = new Stack<int>();   // nodes on the current path
        var subtreeEnd = new List<int>();
        byte[] previous = [];
        foreach (var id in ids)
        {
            var s = tokenBytes[id];
            var common = s.AsSpan().CommonPrefixLength(previous);
            if (common == s.Length && s.Length == previous.Length)
            {
                var node = open.Peek();
                if (!duplicates.TryGetValue(node, out var list)) duplicates[node] = list = [];
                list.Add(id);
                continue;
            }
            while (open.Count > common) subtreeEnd[open.Pop()] = bytes.Count;
            for (var d = common; d < s.Length; d++)
            {
                open.Push(bytes.Count);
                bytes.Add(s[d]);
                depths.Add(d + 1);
                tokens.Add(-1);
                subtreeEnd.Add(-1);
            }
            tokens[^1] = id;
            previous = s;
        }
        while (open.Count > 0) subtreeEnd[open.Pop()] = bytes.Count;

        Bytes = [.. bytes];
        Depths = [.. depths];
        Tokens = [.. tokens];
        SubtreeEnd = [.. subtreeEnd];
        Nodes = new Node[Bytes.Length];
        for (var i = 0; i < Nodes.Length; i++) Nodes[i] = new Node(Bytes[i], Depths[i], Tokens[i], SubtreeEnd[i]);
        Duplicates = duplicates.ToDictionary(p => p.Key, p => p.Value.ToArray());
        MaxDepth = depths.Count == 0 ? 0 : depths.Max();
        TokenBytes = tokenBytes;
    }

    public int VocabularySize { get; }

    /// <summary>A node's fields together, so that the mask walk reads one place per node.</summary>
    public readonly record struct Node(byte Byte, int Depth, int Token, int SubtreeEnd);

    public Node[] Nodes { get; }      // [nodes] the four arrays below, interleaved

    public byte[] Bytes { get; }       // [nodes] the byte that leads to node i from its parent
    public int[] Depths { get; }       // [nodes] length of node i's prefix (1 for children of the root)
    public int[] Tokens { get; }       // [nodes] the token whose bytes end at node i, or -1
    public int[] SubtreeEnd { get; }   // [nodes] first node after node i's subtree
    public Dictionary<int, int[]> Duplicates { get; }   // node → further tokens with the same bytes (none in o200k)
    public int MaxDepth { get; }
    public IReadOnlyList<byte[]> TokenBytes { get; }   // [vocabulary] empty for tokens text never produces

    public int NodeCount => Bytes.Length;

    /// <summary>The trie of <paramref name="tokenizer"/>'s ordinary (Normal) tokens; special, control and padding
    /// tokens are left out, since no grammar text produces them.</summary>
    public static TokenTrie For(BpeTokenizer tokenizer) => Cache.GetValue(tokenizer, static t =>
    {
        var all = new byte[t.VocabularySize][];
        for (var id = 0; id < all.Length; id++)
            all[id] = t.GetTokenType(id) == TokenType.Normal ? t.GetTokenBytes(id).ToArray() : [];
        return new TokenTrie(all);
    });
}
