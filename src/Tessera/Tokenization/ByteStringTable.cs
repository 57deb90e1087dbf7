// Exact lookup of a UTF-8 piece among token byte strings, for BpeTokenizer's whole-piece fast path: most pre-token
// pieces (" the", ",", " model") are themselves tokens. Open addressing with linear probing; a slot holds the id, the
// length and, for keys of up to eight bytes (nearly all pieces), the bytes themselves, so the usual lookup reads one
// slot; longer keys keep a 64-bit hash there and are compared with the tokenizer's piece bytes on a match.

using System.Buffers.Binary;
using System.Numerics;

namespace Tessera.Tokenization;

/// <summary>Finds the id whose bytes equal a given byte string.</summary>
internal sealed class ByteStringTable
{
    private readonly Entry[] _entries;
    private readonly byte[] _bytes;
    private readonly int[] _starts;
    private readonly int _mask;

    private struct Entry
    {
        public ulong Key;   // the bytes, little-endian and zero-padded, up to eight of them; else the hash
        public int Length;
        public int Id;      // -1: empty
    }

    /// <summary>Indexes the byte strings <paramref name="bytes"/>[<paramref name="starts"/>[id] ..
    /// <paramref name="starts"/>[id + 1]] of <paramref name="ids"/>; of equal strings the first id is kept.</summary>
    public ByteStringTable(byte[] bytes, int[] starts, IReadOnlyCollection<int> ids)
    {
        _bytes = bytes;
        _starts = starts;
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, ids.Count * 2));
        _entries = new Entry[size];
        _entries.AsSpan().Fill(new Entry { Id = -1 });
        _mask = size - 1;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> key = Bytes(id);
            ulong hash = Hash(key);
            if (Find(key, hash) >= 0)
                continue;
            int i = (int)hash & _mask;
            while (_entries[i].Id >= 0)
                i = (i + 1) & _mask;
            _entries[i] = new Entry { Key = key.Length <= 8 ? Pack(key) : hash, Length = key.Length, Id = id };
        }
    }

    /// <summary>The id whose bytes are <paramref name="key"/> (with <paramref name="hash"/> = <see cref="Hash"/> of it), or -1.</summary>
    public int Find(ReadOnlySpan<byte> key, ulong hash)
    {
        Entry[] entries = _entries;
        ulong stored = key.Length <= 8 ? Pack(key) : hash;
        for (int i = (int)hash & _mask; ; i = (i + 1) & _mask)
        {
            ref readonly Entry entry = ref entries[i];
            if (entry.Id < 0)
                return -1;
            if (entry.Key == stored && entry.Length == key.Length && (key.Length <= 8 || Bytes(entry.Id).SequenceEqual(key)))
                return entry.Id;
        }
    }

    /// <summary>A 64-bit hash of <paramref name="s"/>, eight bytes at a time; well mixed in both halves.</summary>
    public static ulong Hash(ReadOnlySpan<byte> s)
    {
        const ulong K = 0x9E3779B97F4A7C15UL;
        ulong h = (ulong)s.Length * K;
        while (s.Length > 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(s)) * K, 29);
            s = s[8..];
        }
        h = BitOperations.RotateLeft((h ^ Pack(s)) * K, 29);
        h ^= h >> 32;
        h *= 0xD6E8FEB86659FD93UL;
        return h ^ h >> 32;
    }

    // Up to eight bytes as a little-endian number.
    private static ulong Pack(ReadOnlySpan<byte> s)
    {
        if (s.Length == 8)
            return BinaryPrimitives.ReadUInt64LittleEndian(s);
        ulong packed = 0;
        for (int i = 0; i < s.Length; i++)
            packed |= (ulong)s[i] << (8 * i);
        return packed;
    }

    private ReadOnlySpan<byte> Bytes(int id) => _bytes.AsSpan(_starts[id], _starts[id + 1] - _starts[id]);
}
