// GGUF reader, versions 2 and 3 (ggml/src/gguf.cpp; gpt-oss-facts.md §3.1). The file is memory-mapped; metadata is
// parsed once, tensors are exposed as spans over the mapping without copying. A hostile file can only produce a
// GgufFormatException: every count is checked against the bytes left before anything is allocated, every size is
// computed with overflow checks, and tensors must be known types, aligned, inside the file and not overlapping.

using Tessera.Quants;

namespace Tessera.Gguf;

/// <summary>An open GGUF file: metadata, tensor infos and memory-mapped tensor data.</summary>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;
    public const uint DefaultAlignment = 32;
    public const int MaxDimensions = 4;
    public const int MaxTensorNameBytes = 63;   // ggml's GGML_MAX_NAME is 64 including the terminator
    private const int MaxArrayNesting = 16;

    private readonly GgufMemory _memory;
    private readonly Dictionary<string, GgufValue> _metadata;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(GgufMemory memory, string? path)
    {
        _memory = memory;
        Path = path;
        var cursor = new GgufCursor(memory.Pointer, memory.Length);
        (Version, var tensorCount, var kvCount) = ReadHeader(ref cursor);
        (MetadataEntries, _metadata) = ReadMetadata(ref cursor, kvCount);
        Alignment = ReadAlignment();
        Tensors = ReadTensorInfos(ref cursor, tensorCount, out _tensorsByName);
        DataOffset = tensorCount == 0 ? cursor.Position : AlignUp(cursor.Position, Alignment);
        Tensors = PlaceTensors(Tensors, ref _tensorsByName);
    }

    /// <summary>Opens and validates a GGUF file, memory-mapping it read-only.</summary>
    /// <exception cref="GgufFormatException">The file is not a valid GGUF file.</exception>
    public static GgufFile Open(string path)
    {
        var memory = GgufMemory.Map(path);
        try { return new GgufFile(memory, path); }
        catch { memory.Dispose(); throw; }
    }

    /// <summary>Parses a GGUF file held in memory (the array is pinned until disposal).</summary>
    public static GgufFile FromBytes(byte[] bytes)
    {
        var memory = GgufMemory.Pin(bytes);
        try { return new GgufFile(memory, null); }
        catch { memory.Dispose(); throw; }
    }

    /// <summary>The file path, or null when parsed from memory.</summary>
    public string? Path { get; }

    /// <summary>GGUF version: 2 or 3.</summary>
    public uint Version { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileSize => _memory.Length;

    /// <summary>Alignment of tensor data (<c>general.alignment</c>, else 32).</summary>
    public uint Alignment { get; }

    /// <summary>Where the data section starts, from the start of the file.</summary>
    public long DataOffset { get; }

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataEntries { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The value of <paramref name="key"/>, or false when absent.</summary>
    public bool TryGetValue(string key, out GgufValue value) => _metadata.TryGetValue(key, out value!);

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public GgufValue? this[string key] => _metadata.GetValueOrDefault(key);

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    /// <summary>The bytes of <paramref name="tensor"/>, straight from the mapping (valid until disposal).</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"tensor {tensor.Name} is {tensor.ByteSize} bytes: read it in slices (GetTensorSlice)");
        return GetTensorSlice(tensor, 0, (int)tensor.ByteSize);
    }

    /// <summary>A slice of <paramref name="tensor"/>'s bytes (for tensors over 2 GiB, or one row or expert at a time).</summary>
    public ReadOnlySpan<byte> GetTensorSlice(GgufTensorInfo tensor, long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_memory.Pointer == null, this);
        if (!ReferenceEquals(FindTensor(tensor.Name), tensor))
            throw new ArgumentException($"tensor {tensor.Name} does not belong to this file", nameof(tensor));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > tensor.ByteSize)
            throw new ArgumentOutOfRangeException(nameof(length), $"slice {offset}+{length} exceeds tensor {tensor.Name} ({tensor.ByteSize} bytes)");
        return new ReadOnlySpan<byte>(_memory.Pointer + tensor.FileOffset + offset, length);
    }

    /// <summary>The bytes before the data section: header, metadata and tensor table (what identifies a model's layout
    /// without reading its weights).</summary>
    public ReadOnlySpan<byte> GetHeaderBytes()
    {
        ObjectDisposedException.ThrowIf(_memory.Pointer == null, this);
        if (DataOffset > int.MaxValue) throw new NotSupportedException($"the header is {DataOffset} bytes");
        return new ReadOnlySpan<byte>(_memory.Pointer, (int)DataOffset);
    }

    /// <summary>Address of the tensor's first byte in the mapping, for kernels (valid until disposal).</summary>
    public nint GetTensorAddress(GgufTensorInfo tensor) => (nint)(_memory.Pointer + tensor.FileOffset);

    public void Dispose() => _memory.Dispose();

    private static (uint Version, int TensorCount, int KvCount) ReadHeader(ref GgufCursor c)
    {
        var magic = c.U32("magic");
        if (magic != Magic)
            throw new GgufFormatException("magic", 0, $"expected \"GGUF\", found 0x{magic:X8}: not a GGUF file");
        var version = c.U32("version");
        if (version == 1)
            throw new GgufFormatException("version", 4, "GGUF version 1 is obsolete and not supported (use version 2 or 3)");
        if (version is not (2 or 3))
            throw new GgufFormatException("version", 4, $"unknown GGUF version {version} (supported: 2, 3)");
        // A tensor info takes at least 8 (name) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; a kv at least 8 + 4 + 1.
        var tensorCount = c.Count("tensor_count", 24);
        var kvCount = c.Count("kv_count", 13);
        return (version, tensorCount, kvCount);
    }

    private static (List<KeyValuePair<string, GgufValue>>, Dictionary<string, GgufValue>) ReadMetadata(ref GgufCursor c, int count)
    {
        var list = new List<KeyValuePair<string, GgufValue>>(count);
        var map = new Dictionary<string, GgufValue>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var at = c.Position;
            var key = c.String($"kv[{i}].key");
            var field = $"kv[\"{key}\"]";
            if (map.ContainsKey(key))
                throw new GgufFormatException(field, at, $"duplicate key \"{key}\"");
            var typeAt = c.Position;
            var type = (GgufValueType)c.U32(field + ".type");
            var value = ReadValue(ref c, type, field, typeAt, depth: 0);
            map.Add(key, value);
            list.Add(new(key, value));
        }
        return (list, map);
    }

    private static GgufValue ReadValue(ref GgufCursor c, GgufValueType type, string field, long typeAt, int depth) => type switch
    {
        GgufValueType.UInt8 => GgufValue.From(c.U8(field)),
        GgufValueType.Int8 => GgufValue.From((sbyte)c.U8(field)),
        GgufValueType.UInt16 => GgufValue.From(c.U16(field)),
        GgufValueType.Int16 => GgufValue.From((short)c.U16(field)),
        GgufValueType.UInt32 => GgufValue.From(c.U32(field)),
        GgufValueType.Int32 => GgufValue.From((int)c.U32(field)),
        GgufValueType.Float32 => GgufValue.From(c.F32(field)),
        GgufValueType.Bool => GgufValue.From(ReadBool(ref c, field)),
        GgufValueType.String => GgufValue.From(c.String(field)),
        GgufValueType.UInt64 => GgufValue.From(c.U64(field)),
        GgufValueType.Int64 => GgufValue.From((long)c.U64(field)),
        GgufValueType.Float64 => GgufValue.From(c.F64(field)),
        GgufValueType.Array => ReadArray(ref c, field, depth),
        _ => throw new GgufFormatException(field + ".type", typeAt, $"unknown metadata value type {(uint)type}"),
    };

    private static bool ReadBool(ref GgufCursor c, string field)
    {
        var at = c.Position;
        var b = c.U8(field);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new GgufFormatException(field, at, $"bool must be 0 or 1, found {b}"),
        };
    }

    private static GgufValue ReadArray(ref GgufCursor c, string field, int depth)
    {
        if (depth >= MaxArrayNesting)
            throw new GgufFormatException(field, c.Position, $"arrays nested more than {MaxArrayNesting} deep");
        var typeAt = c.Position;
        var elementType = (GgufValueType)c.U32(field + ".element_type");
        var minSize = MinimumSize(elementType)
            ?? throw new GgufFormatException(field + ".element_type", typeAt, $"unknown array element type {(uint)elementType}");
        var n = c.Count(field + ".count", minSize);
        Array items = elementType switch
        {
            GgufValueType.UInt8 => Fill<byte>(ref c, n, field, static (ref GgufCursor c, string f) => c.U8(f)),
            GgufValueType.Int8 => Fill<sbyte>(ref c, n, field, static (ref GgufCursor c, string f) => (sbyte)c.U8(f)),
            GgufValueType.UInt16 => Fill<ushort>(ref c, n, field, static (ref GgufCursor c, string f) => c.U16(f)),
            GgufValueType.Int16 => Fill<short>(ref c, n, field, static (ref GgufCursor c, string f) => (short)c.U16(f)),
            GgufValueType.UInt32 => Fill<uint>(ref c, n, field, static (ref GgufCursor c, string f) => c.U32(f)),
            GgufValueType.Int32 => Fill<int>(ref c, n, field, static (ref GgufCursor c, string f) => (int)c.U32(f)),
            GgufValueType.Float32 => Fill<float>(ref c, n, field, static (ref GgufCursor c, string f) => c.F32(f)),
            GgufValueType.Bool => Fill<bool>(ref c, n, field, static (ref GgufCursor c, string f) => ReadBool(ref c, f)),
            GgufValueType.String => Fill<string>(ref c, n, field, static (ref GgufCursor c, string f) => c.String(f)),
            GgufValueType.UInt64 => Fill<ulong>(ref c, n, field, static (ref GgufCursor c, string f) => c.U64(f)),
            GgufValueType.Int64 => Fill<long>(ref c, n, field, static (ref GgufCursor c, string f) => (long)c.U64(f)),
            GgufValueType.Float64 => Fill<double>(ref c, n, field, static (ref GgufCursor c, string f) => c.F64(f)),
            _ => ReadNested(ref c, n, field, depth),
        };
        return GgufValue.FromArray(elementType, items);
    }

    private static GgufValue[] ReadNested(ref GgufCursor c, int n, string field, int depth)
    {
        var items = new GgufValue[n];
        for (var i = 0; i < n; i++) items[i] = ReadArray(ref c, $"{field}[{i}]", depth + 1);
        return items;
    }

    private delegate T Reader<T>(ref GgufCursor c, string field);

    private static T[] Fill<T>(ref GgufCursor c, int n, string field, Reader<T> read)
    {
        var items = new T[n];
        for (var i = 0; i < n; i++) items[i] = read(ref c, field);
        return items;
    }

    /// <summary>Fewest bytes one value of a type can take on disk (strings and arrays: their length fields).</summary>
    private static int? MinimumSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => null,
    };

    private uint ReadAlignment()
    {
        if (!_metadata.TryGetValue(GgufKeys.Alignment, out var value)) return DefaultAlignment;
        var field = $"kv[\"{GgufKeys.Alignment}\"]";
        if (value.Type != GgufValueType.UInt32)
            throw new GgufFormatException(field, OffsetOfKey(GgufKeys.Alignment), $"must be a u32, found {value.Describe()}");
        var a = (uint)value.Raw;
        if (a == 0 || (a & (a - 1)) != 0)
            throw new GgufFormatException(field, OffsetOfKey(GgufKeys.Alignment), $"alignment {a} is not a power of two");
        return a;
    }

    // Offsets of keys are not kept; re-deriving one is only needed for an error message.
    private long OffsetOfKey(string key)
    {
        var c = new GgufCursor(_memory.Pointer, _memory.Length) { Position = 24 };
        foreach (var (k, v) in MetadataEntries)
        {
            var at = c.Position;
            c.String("key");
            if (k == key) return at;
            var typeAt = c.Position;
            ReadValue(ref c, (GgufValueType)c.U32("type"), "value", typeAt, 0);
        }
        return -1;
    }

    private static List<GgufTensorInfo> ReadTensorInfos(ref GgufCursor c, int count, out Dictionary<string, GgufTensorInfo> byName)
    {
        var list = new List<GgufTensorInfo>(count);
        byName = new Dictionary<string, GgufTensorInfo>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var field = $"tensor_infos[{i}]";
            var nameAt = c.Position;
            var name = c.String(field + ".name");
            field = $"tensor_infos[{i}] \"{name}\"";
            if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
                throw new GgufFormatException(field + ".name", nameAt, $"name is longer than {MaxTensorNameBytes} bytes");
            if (byName.ContainsKey(name))
                throw new GgufFormatException(field + ".name", nameAt, $"duplicate tensor name \"{name}\"");

            var dimsAt = c.Position;
            var nDims = c.U32(field + ".n_dims");
            if (nDims is 0 or > MaxDimensions)
                throw new GgufFormatException(field + ".n_dims", dimsAt, $"n_dims {nDims} is outside 1..{MaxDimensions}");
            var dims = new long[nDims];
            for (var d = 0; d < nDims; d++)
            {
                var at = c.Position;
                var ne = c.U64($"{field}.ne[{d}]");
                if (ne > long.MaxValue)
                    throw new GgufFormatException($"{field}.ne[{d}]", at, $"dimension {ne} is negative as a signed 64-bit integer");
                dims[d] = (long)ne;
            }

            var typeAt = c.Position;
            var type = (GgmlType)c.U32(field + ".type");
            if (!GgmlTypeInfo.TryGet(type, out var typeInfo))
                throw new GgufFormatException(field + ".type", typeAt, $"unknown ggml tensor type {(uint)type}");
            if (dims[0] % typeInfo.BlockSize != 0)
                throw new GgufFormatException($"{field}.ne[0]", dimsAt + 4,
                    $"row length {dims[0]} is not a multiple of the {type} block size {typeInfo.BlockSize}");
            var bytes = ByteSize(dims, typeInfo)
                ?? throw new GgufFormatException(field + ".ne", dimsAt + 4, $"shape {{{string.Join(", ", dims)}}} of {type} overflows a 64-bit size");

            var offsetAt = c.Position;
            var offset = c.U64(field + ".offset");
            if (offset > long.MaxValue)
                throw new GgufFormatException(field + ".offset", offsetAt, $"offset {offset} is beyond any file");
            var info = new GgufTensorInfo(name, dims, type, (long)offset, offsetAt, bytes);   // FileOffset fixed in PlaceTensors
            list.Add(info);
            byName.Add(name, info);
        }
        return list;
    }

    /// <summary>Π ne / block size × type size, or null on overflow.</summary>
    private static long? ByteSize(long[] dims, GgmlTypeInfo type)
    {
        try
        {
            var rows = 1L;
            for (var d = 1; d < dims.Length; d++) rows = checked(rows * dims[d]);
            return checked(dims[0] / type.BlockSize * type.BytesPerBlock * rows);
        }
        catch (OverflowException) { return null; }
    }

    // Tensor infos were read before the data section's start was known; here each gets its absolute offset, after checks
    // that it is aligned, inside the file and overlaps no other tensor. (The info's field offset, kept in FileOffset
    // until now, locates errors.)
    private List<GgufTensorInfo> PlaceTensors(IReadOnlyList<GgufTensorInfo> infos, ref Dictionary<string, GgufTensorInfo> byName)
    {
        var placed = new List<GgufTensorInfo>(infos.Count);
        if (infos.Count > 0 && DataOffset > FileSize)
            throw new GgufFormatException("data section", DataOffset, $"the data section would start past the end of the file ({FileSize} bytes)", endsEarly: true);
        foreach (var t in infos)
        {
            var field = $"tensor \"{t.Name}\".offset";
            if (t.RelativeOffset % Alignment != 0)
                throw new GgufFormatException(field, t.FileOffset, $"offset {t.RelativeOffset} is not a multiple of the alignment {Alignment}");
            if (t.RelativeOffset > FileSize - DataOffset || t.ByteSize > FileSize - DataOffset - t.RelativeOffset)
                throw new GgufFormatException(field, t.FileOffset,
                    $"data [{t.RelativeOffset}, +{t.ByteSize}) lies outside the file (data section has {FileSize - DataOffset} bytes)", endsEarly: true);
            placed.Add(t with { FileOffset = DataOffset + t.RelativeOffset });
        }
        var sorted = placed.OrderBy(t => t.FileOffset).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            var (prev, cur) = (sorted[i - 1], sorted[i]);
            if (prev.FileOffset + prev.ByteSize > cur.FileOffset)
                throw new GgufFormatException($"tensor \"{cur.Name}\".offset", infos.First(t => t.Name == cur.Name).FileOffset,
                    $"data at {cur.RelativeOffset} overlaps tensor \"{prev.Name}\" [{prev.RelativeOffset}, +{prev.ByteSize})");
        }
        byName = placed.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return placed;
    }

    internal static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
