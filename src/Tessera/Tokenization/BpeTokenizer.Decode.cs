// Decoding half of BpeTokenizer: llama.cpp's token_to_piece / detokenize (clean_spaces is off for gpt-4o),
// followed by a UTF-8 read that turns malformed bytes into U+FFFD.

using System.Buffers;
using System.Text;

namespace Tessera.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>The bytes token <paramref name="id"/> renders as. Control and unknown tokens render as their text only
    /// with <paramref name="renderSpecial"/>; user-defined tokens always do; unused slots never do.</summary>
    public ReadOnlySpan<byte> GetTokenBytes(int id, bool renderSpecial = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _vocabularySize);
        if (!renderSpecial && _types[id] is TokenType.Control or TokenType.Unknown)
            return default;
        return _pieceBytes.AsSpan(_pieceStarts[id], _pieceStarts[id + 1] - _pieceStarts[id]);
    }

    /// <summary>Decodes <paramref name="ids"/> to text; bytes that do not form UTF-8 become U+FFFD.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = true)
    {
        int length = 0;
        foreach (int id in ids)
            length += GetTokenBytes(id, renderSpecial).Length;

        byte[]? rented = null;
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        int written = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> piece = GetTokenBytes(id, renderSpecial);
            piece.CopyTo(bytes[written..]);
            written += piece.Length;
        }
        string text = Encoding.UTF8.GetString(bytes[..written]);
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
        return text;
    }

    /// <summary>Starts a detokenizer that takes generated ids one at a time and hands back only whole characters.</summary>
    public StreamingDetokenizer CreateStreamingDetokenizer(bool renderSpecial = true) => new(this, renderSpecial);
}
