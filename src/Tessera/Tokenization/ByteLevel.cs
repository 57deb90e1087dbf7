// GPT-2 byte-level alphabet: every byte is shown as one printable code point (gpt-oss-facts.md §5).
// Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF stand for themselves; the other 68 bytes, in increasing order,
// become U+0100 .. U+0143. Token strings and merges in a gpt2-model GGUF are written in this alphabet.

namespace Tessera.Tokenization;

/// <summary>The GPT-2 byte ↔ character mapping used by byte-level BPE vocabularies.</summary>
public static class ByteLevel
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly byte[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>The character that stands for <paramref name="b"/>.</summary>
    public static char ByteToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte that <paramref name="c"/> stands for, or -1 if <paramref name="c"/> is not in the alphabet.</summary>
    public static int CharToByte(char c)
    {
        if (c >= s_charToByte.Length)
            return -1;
        byte b = s_charToByte[c];
        return s_byteToChar[b] == c ? b : -1;
    }

    /// <summary>Maps raw bytes to their byte-level string (one character per byte).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return string.Empty;
        return string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (int i = 0; i < chars.Length; i++)
                chars[i] = s_byteToChar[b[i]];
        });
    }

    /// <summary>Writes the byte-level characters of <paramref name="bytes"/> into <paramref name="destination"/>
    /// (which must be at least as long as <paramref name="bytes"/>).</summary>
    public static void Encode(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        if (destination.Length < bytes.Length)
            throw new ArgumentException("Destination is shorter than the input.", nameof(destination));
        for (int i = 0; i < bytes.Length; i++)
            destination[i] = s_byteToChar[bytes[i]];
    }

    /// <summary>Maps a byte-level string back to its bytes.</summary>
    /// <exception cref="FormatException">A character is outside the byte-level alphabet.</exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new byte[text.Length];
        if (!TryDecode(text, bytes, out _))
            throw new FormatException($"'{text}' contains a character outside the byte-level alphabet.");
        return bytes;
    }

    /// <summary>Maps byte-level characters back to bytes. Returns false (having written <paramref name="written"/>
    /// bytes) at the first character outside the alphabet or when <paramref name="destination"/> is full.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        foreach (char c in text)
        {
            int b = CharToByte(c);
            if (b < 0 || written == destination.Length)
                return false;
            destination[written++] = (byte)b;
        }
        return true;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static byte[] BuildCharToByte(char[] byteToChar)
    {
        var map = new byte[0x144];
        for (int b = 0; b < 256; b++)
            map[byteToChar[b]] = (byte)b;
        return map;
    }
}
