// Bounds-checked little-endian reads over a region of memory (a mapped file or a byte array). Every read checks that
// the bytes exist first, so a truncated or lying file ends in a GgufFormatException naming the field, never past the end.

using System.Buffers.Binary;
using System.Text;

namespace Tessera.Gguf;

internal unsafe struct GgufCursor(byte* start, long length)
{
    public long Position;

    public readonly long Remaining => length - Position;

    public readonly long Length => length;

    private readonly ReadOnlySpan<byte> Take(long count, string field)
    {
        if (count < 0 || count > Remaining)
            throw new GgufFormatException(field, Position,
                $"needs {count} bytes but the file ends {Remaining} bytes later (truncated or corrupt)", endsEarly: count >= 0);
        if (count > int.MaxValue)
            throw new GgufFormatException(field, Position, $"a {count}-byte field is larger than Tessera reads (2 GiB)");
        return new ReadOnlySpan<byte>(start + Position, (int)count);
    }

    public byte U8(string field) { var v = Take(1, field)[0]; Position += 1; return v; }
    public ushort U16(string field) { var v = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field)); Position += 2; return v; }
    public uint U32(string field) { var v = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field)); Position += 4; return v; }
    public ulong U64(string field) { var v = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field)); Position += 8; return v; }
    public float F32(string field) { var v = BinaryPrimitives.ReadSingleLittleEndian(Take(4, field)); Position += 4; return v; }
    public double F64(string field) { var v = BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field)); Position += 8; return v; }

    /// <summary>A count that must fit what is left of the file at <paramref name="minBytesEach"/> bytes an item.</summary>
    public int Count(string field, long minBytesEach)
    {
        var at = Position;
        var n = U64(field);
        if (n > int.MaxValue || (long)n * minBytesEach > Remaining)
            throw new GgufFormatException(field, at,
                $"count {n} cannot fit in the {Remaining} bytes left (at least {minBytesEach} bytes each)", endsEarly: true);
        return (int)n;
    }

    /// <summary>A GGUF string: u64 byte length then UTF-8 bytes (invalid sequences become U+FFFD).</summary>
    public string String(string field)
    {
        var at = Position;
        var n = U64(field + ".length");
        if (n > (ulong)Remaining)
        {
            Position = at;
            throw new GgufFormatException(field, at, $"string length {n} points past the end of the file ({Remaining - 8} bytes left)", endsEarly: true);
        }
        var bytes = Take((long)n, field);
        Position += (long)n;
        return Encoding.UTF8.GetString(bytes);
    }
}
