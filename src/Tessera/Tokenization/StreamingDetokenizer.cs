// Incremental detokenization: a token may end in the middle of a UTF-8 sequence (emoji, CJK split across byte
// tokens), so bytes are held back until the character is complete. Follows llama.cpp's token_to_piece per token;
// the UTF-8 state machine is System.Text.Decoder with U+FFFD replacement.

using System.Text;

namespace Tessera.Tokenization;

/// <summary>Turns a stream of token ids into text, never splitting a character. Not thread-safe; one per stream.</summary>
public sealed class StreamingDetokenizer
{
    private readonly BpeTokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    internal StreamingDetokenizer(BpeTokenizer tokenizer, bool renderSpecial)
    {
        _tokenizer = tokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token and returns the text it completes: empty while a character is still unfinished,
    /// possibly more than the token's own text when it finishes one begun earlier.</summary>
    public string Append(int tokenId) => Convert(_tokenizer.GetTokenBytes(tokenId, _renderSpecial), flush: false);

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD. The detokenizer is then empty.</summary>
    public string Flush() => Convert([], flush: true);

    /// <summary>Drops any held-back bytes.</summary>
    public void Reset() => _utf8.Reset();

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        int max = _utf8.GetCharCount(bytes, flush);   // does not change the decoder state
        if (_chars.Length < max)
            _chars = new char[Math.Max(max, _chars.Length * 2)];
        int count = _utf8.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, count);
    }
}
