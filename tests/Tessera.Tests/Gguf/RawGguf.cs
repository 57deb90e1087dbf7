// Writes GGUF bytes field by field, with no validation, so tests can build exactly the broken file they mean.

using System.Text;

namespace Tessera.Tests.Gguf;

internal sealed class RawGguf
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _w;

    public RawGguf() => _w = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);

    public long Position => _stream.Position;

    public RawGguf U8(byte v) { _w.Write(v); return this; }
    public RawGguf U32(uint v) { _w.Write(v); return this; }
    public RawGguf U64(ulong v) { _w.Write(v); return this; }
    public RawGguf F32(float v) { _w.Write(v); return this; }
    public RawGguf Bytes(ReadOnlySpan<byte> b) { _w.Write(b); return this; }

    public RawGguf Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return U64((ulong)b.Length).Bytes(b);
    }

    /// <summary>Magic, version, tensor count, kv count.</summary>
    public RawGguf Header(ulong tensors, ulong kvs, uint version = 3) => U32(0x46554747).U32(version).U64(tensors).U64(kvs);

    /// <summary>A key with a u32 value.</summary>
    public RawGguf KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    /// <summary>A tensor info.</summary>
    public RawGguf Tensor(string name, uint type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims) U64(d);
        return U32(type).U64(offset);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Align(int alignment = 32)
    {
        while (_stream.Position % alignment != 0) _w.Write((byte)0);
        return this;
    }

    public RawGguf Zeros(int n) => Bytes(new byte[n]);

    public byte[] ToArray()
    {
        _w.Flush();
        return _stream.ToArray();
    }
}
