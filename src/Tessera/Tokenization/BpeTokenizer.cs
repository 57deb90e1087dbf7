// Byte-level BPE exactly as llama.cpp runs it for tokenizer.ggml.model = "gpt2" (gpt-oss-facts.md §5;
// llama.cpp src/llama-vocab.cpp: load, tokenizer_st_partition, llm_tokenizer_bpe_session, token_to_piece).
// Encode: split out special tokens, pre-tokenize each remaining fragment (Gpt4oPreTokenizer), then merge the bytes of
// each piece by lowest merge rank, leftmost first. Decode: concatenate token pieces, then read them as UTF-8.

using System.Buffers;
using System.Text;

namespace Tessera.Tokenization;

/// <summary>A byte-level BPE tokenizer built from the GGUF tokenizer arrays, matching llama.cpp token for token.
/// Thread-safe: encode and decode from any thread.</summary>
public sealed partial class BpeTokenizer
{
    private const int MaxCachedPieceLength = 64;   // bytes
    private const int CacheSlots = 1 << 16;

    private readonly int _vocabularySize;
    private readonly TokenType[] _types;                 // effective types, after llama.cpp's load-time fixes
    private readonly Dictionary<string, int> _symbols;   // token text → id; merge strings missing from the vocabulary get ids ≥ vocabulary size
    private readonly List<string> _extraSymbols = [];    // texts of those extra ids
    private readonly MergeTable _merges;                 // (left symbol, right symbol) → rank, merged symbol
    private readonly int[] _byteSymbols = new int[256];  // symbol of each single byte
    private readonly long[] _bytePairs = new long[1 << 16];   // [b0 << 8 | b1]: rank << 32 | merged symbol of two byte symbols
    private readonly SpecialToken[] _specials;           // CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first
    private readonly byte[] _pieceBytes;                 // token_to_piece(id, special: true) of every token, concatenated
    private readonly int[] _pieceStarts;                 // [vocabulary size + 1]
    private readonly ByteStringTable _tokenBytes;        // bytes of each Normal token → id, for pieces that are one token
    private readonly sbyte[] _mergesToItself;            // per id: 1 if BPE of its bytes gives just it, -1 if not, 0 not yet known
    private readonly CachedPiece?[] _cache = new CachedPiece?[CacheSlots];   // direct-mapped by piece hash

    private readonly record struct SpecialToken(int Id, string Text, bool IsControl);

    /// <summary>Builds the tokenizer from the contents of <c>tokenizer.ggml.tokens</c>, <c>token_type</c> and
    /// <c>merges</c>, and the value of <c>tokenizer.ggml.pre</c>.</summary>
    /// <exception cref="NotSupportedException">The pre-tokenizer is not one this class implements.</exception>
    public BpeTokenizer(IReadOnlyList<string> tokens, IReadOnlyList<int> tokenTypes, IReadOnlyList<string> merges, string preTokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenTypes);
        ArgumentNullException.ThrowIfNull(merges);
        if (preTokenizer is not ("gpt-4o" or "llama4" or "minimax-m2"))
            throw new NotSupportedException($"Pre-tokenizer '{preTokenizer}' is not supported; only gpt-4o (LLAMA_VOCAB_PRE_TYPE_GPT4O) is.");
        if (tokenTypes.Count != tokens.Count)
            throw new ArgumentException($"{tokenTypes.Count} token types for {tokens.Count} tokens.", nameof(tokenTypes));

        _vocabularySize = tokens.Count;
        var texts = new string[tokens.Count];
        _types = new TokenType[tokens.Count];
        _symbols = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
        {
            string text = tokens[id];
            if (text.Length == 0)
                text = $"[EMPTY_{id}]";
            texts[id] = text;
            _symbols[text] = id;   // a repeated text maps to its last id, as token_to_id does
            _types[id] = tokenTypes[id] is >= 1 and <= 6 ? (TokenType)tokenTypes[id] : TokenType.Undefined;
        }
        ApplyLoadTimeFixes();

        for (int b = 0; b < 256; b++)
            _byteSymbols[b] = Symbol([ByteLevel.ByteToChar((byte)b)]);
        _merges = new MergeTable(merges.Count);
        Span<char> joined = stackalloc char[256];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            ReadOnlySpan<char> merge = merges[rank];
            int space = merge.Length > 1 ? merge[1..].IndexOf(' ') + 1 : 0;
            if (space <= 0)
                continue;   // llama.cpp records ("", "") for such a line, which can never match
            ReadOnlySpan<char> left = merge[..space], right = merge[(space + 1)..];
            Span<char> whole = merge.Length - 1 <= joined.Length ? joined[..(merge.Length - 1)] : new char[merge.Length - 1];
            left.CopyTo(whole);
            right.CopyTo(whole[left.Length..]);
            _merges.TryAdd(Symbol(left), Symbol(right), rank, Symbol(whole));   // the first rank of a repeated pair wins
        }

        for (int pair = 0; pair < _bytePairs.Length; pair++)
        {
            int rank = _merges.Find(_byteSymbols[pair >> 8], _byteSymbols[pair & 0xFF], out int merged);
            _bytePairs[pair] = (long)rank << 32 | (uint)merged;
        }

        _specials = Enumerable.Range(0, tokens.Count)
            .Where(id => _types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown)
            .Select(id => new SpecialToken(id, texts[id], _types[id] != TokenType.UserDefined))
            .OrderByDescending(s => Encoding.UTF8.GetByteCount(s.Text))
            .ThenBy(s => s.Id)
            .ToArray();

        (_pieceBytes, _pieceStarts) = BuildPieces(texts);
        _tokenBytes = new ByteStringTable(_pieceBytes, _pieceStarts,
            [.. Enumerable.Range(0, _vocabularySize).Where(id => _types[id] == TokenType.Normal && _pieceStarts[id + 1] > _pieceStarts[id])]);
        _mergesToItself = new sbyte[_vocabularySize];
    }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabularySize => _vocabularySize;

    /// <summary>The type llama.cpp works with for token <paramref name="id"/>: the GGUF type after its load-time fixes
    /// (end-of-generation texts forced to Control; for gpt-oss &lt;|channel|&gt;, &lt;|message|&gt;, &lt;|start|&gt;,
    /// &lt;|constrain|&gt; and &lt;|end|&gt; made UserDefined, so they are always matched in text and always rendered).</summary>
    public TokenType GetTokenType(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _vocabularySize);
        return _types[id];
    }

    /// <summary>Finds the id of the token whose text is <paramref name="text"/> (byte-level form for ordinary tokens).</summary>
    public bool TryGetTokenId(string text, out int id)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _symbols.TryGetValue(text, out id) && id < _vocabularySize;
    }

    // llama_vocab::impl::load, after the token list is read.
    private void ApplyLoadTimeFixes()
    {
        // Texts llama.cpp treats as end of generation are forced to CONTROL.
        string[] endOfGeneration =
        [
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>",
            "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
        ];
        foreach (string text in endOfGeneration)
        {
            if (_symbols.TryGetValue(text, out int id))
                _types[id] = TokenType.Control;
        }

        // "quick hack for gpt-oss, always render these tokens".
        foreach (string text in (string[])["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"])
        {
            if (_symbols.TryGetValue(text, out int id))
                _types[id] = TokenType.UserDefined;
        }

        // o200k_harmony: with both <|return|> and <|call|>, <|end|> leaves the end-of-generation set and is re-typed.
        if (_symbols.ContainsKey("<|return|>") && _symbols.ContainsKey("<|call|>") && _symbols.TryGetValue("<|end|>", out int end))
            _types[end] = TokenType.UserDefined;
    }

    // token_to_piece(id, special: true) for every id: ordinary tokens map back through the byte-level alphabet,
    // control, unknown and user-defined tokens are their text, other types render as nothing.
    private (byte[] Bytes, int[] Starts) BuildPieces(string[] texts)
    {
        var starts = new int[texts.Length + 1];
        var bytes = new ArrayBufferWriter<byte>(texts.Length * 8);
        for (int id = 0; id < texts.Length; id++)
        {
            starts[id] = bytes.WrittenCount;
            string text = texts[id];
            switch (_types[id])
            {
                case TokenType.Normal:
                    DecodeByteLevel(text, bytes);
                    break;
                case TokenType.Control or TokenType.Unknown or TokenType.UserDefined:
                    bytes.Write(Encoding.UTF8.GetBytes(text));
                    break;
            }
        }
        starts[texts.Length] = bytes.WrittenCount;
        return (bytes.WrittenSpan.ToArray(), starts);
    }

    // llama_decode_text: a character outside the byte-level alphabet becomes "[UNK_BYTE_0x{its UTF-8 in hex}{text}]".
    private static void DecodeByteLevel(string text, ArrayBufferWriter<byte> output)
    {
        foreach (char c in text)
        {
            int b = ByteLevel.CharToByte(c);
            if (b >= 0)
            {
                output.GetSpan(1)[0] = (byte)b;
                output.Advance(1);
                continue;
            }
            var unknown = new StringBuilder("[UNK_BYTE_0x");
            foreach (byte u in Encoding.UTF8.GetBytes(c.ToString()))
                unknown.Append(u.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            unknown.Append(text).Append(']');
            output.Write(Encoding.UTF8.GetBytes(unknown.ToString()));
        }
    }

    private int Symbol(ReadOnlySpan<char> text)
    {
        var symbols = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();
        if (symbols.TryGetValue(text, out int id))
            return id;
        id = _vocabularySize + _extraSymbols.Count;
        string added = text.ToString();
        _extraSymbols.Add(added);
        _symbols.Add(added, id);
        return id;
    }
}
