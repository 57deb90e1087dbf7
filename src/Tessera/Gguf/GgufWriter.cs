// GGUF writer (version 3, the layout llama.cpp's gguf.cpp reads; gpt-oss-facts.md §3.1). Metadata and tensor infos are
// collected first; tensor data is produced by a callback per tensor while the file is written, so a 12 GB model
// streams to disk without being held in memory. Offsets follow llama.cpp's rule: running sum of aligned sizes.

using System.Buffers.Binary;
using System.Text;
using Tessera.Quants;

namespace Tessera.Gguf;

/// <summary>Builds a GGUF file: add metadata and tensors, then <see cref="WriteTo(Stream, IProgress{long}?)"/>.</summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Writes data produced into a stream that accepts exactly the tensor's byte size.</summary>
    public delegate void TensorDataWriter(Stream destination);

    private sealed record PendingTensor(string Name, long[] Dimensions, GgmlType Type, long ByteSize, TensorDataWriter Write);

    /// <summary>Alignment of tensor data; written as <c>general.alignment</c> when not 32.</summary>
    public uint Alignment { get; init; } = GgufFile.DefaultAlignment;

    /// <summary>Adds a metadata entry; keys must be unique.</summary>
    public GgufWriter Add(string key, GgufValue value)
    {
        if (!_keys.Add(key)) throw new ArgumentException($"duplicate metadata key \"{key}\"", nameof(key));
        _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter Add(string key, string value) => Add(key, GgufValue.From(value));
    public GgufWriter Add(string key, uint value) => Add(key, GgufValue.From(value));
    public GgufWriter Add(string key, float value) => Add(key, GgufValue.From(value));

    /// <summary>Adds a tensor whose bytes <paramref name="write"/> produces when the file is written.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, TensorDataWriter write)
    {
        if (Encoding.UTF8.GetByteCount(name) > GgufFile.MaxTensorNameBytes)
            throw new ArgumentException($"tensor name \"{name}\" is longer than {GgufFile.MaxTensorNameBytes} bytes", nameof(name));
        if (!_names.Add(name)) throw new ArgumentException($"duplicate tensor name \"{name}\"", nameof(name));
        if (dimensions.Length is 0 or > GgufFile.MaxDimensions || dimensions.Any(d => d < 0))
            throw new ArgumentException($"tensor {name}: shape must have 1..{GgufFile.MaxDimensions} non-negative dimensions", nameof(dimensions));
        var info = GgmlTypeInfo.Get(type);
        var bytes = checked(info.RowBytes(dimensions[0]) * dimensions.Skip(1).Aggregate(1L, (a, d) => checked(a * d)));
        _tensors.Add(new(name, (long[])dimensions.Clone(), type, bytes, write));
        return this;
    }

    /// <summary>Adds a tensor from bytes already in memory.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data) =>
        AddTensor(name, type, dimensions, s => s.Write(data.Span));

    /// <summary>Adds an F32 tensor.</summary>
    public GgufWriter AddTensor(string name, long[] dimensions, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return AddTensor(name, GgmlType.F32, dimensions, bytes);
    }

    /// <summary>Total size of the file that <see cref="WriteTo(Stream, IProgress{long}?)"/> will produce.</summary>
    public long ComputeFileSize()
    {
        var counter = new CountingStream();
        WriteHeader(counter);
        var size = GgufFile.AlignUp(counter.Length, Alignment);
        foreach (var t in _tensors) size += GgufFile.AlignUp(t.ByteSize, Alignment);
        return _tensors.Count == 0 ? counter.Length : size;
    }

    /// <summary>Writes the file to <paramref name="path"/> (through a temporary name, so a failure leaves no half file).</summary>
    public void WriteTo(string path, IProgress<long>? bytesWritten = null)
    {
        var temp = path + ".partial";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                WriteTo(stream, bytesWritten);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes the file to <paramref name="stream"/>, calling each tensor's data writer in order.</summary>
    public void WriteTo(Stream stream, IProgress<long>? bytesWritten = null)
    {
        var output = new CountingStream(stream);
        WriteHeader(output);
        if (_tensors.Count > 0) Pad(output);
        foreach (var t in _tensors)
        {
            var before = output.Length;
            t.Write(output);
            var written = output.Length - before;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"tensor {t.Name}: data writer produced {written} bytes, expected {t.ByteSize}");
            Pad(output);
            bytesWritten?.Report(output.Length);
        }
        output.Flush();
    }

    private void WriteHeader(Stream s)
    {
        var metadata = _metadata;
        if (Alignment != GgufFile.DefaultAlignment && !_keys.Contains(GgufKeys.Alignment))
            metadata = [.. metadata, new(GgufKeys.Alignment, GgufValue.From(Alignment))];
        var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value);
        }
        var offset = 0L;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dimensions.Length);
            foreach (var d in t.Dimensions) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset += GgufFile.AlignUp(t.ByteSize, Alignment);
        }
        w.Flush();
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue value)
    {
        switch (value.Raw)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            case Array items:
                w.Write((uint)value.ElementType);
                w.Write((ulong)items.Length);
                foreach (var item in items)
                {
                    if (item is GgufValue nested) WriteValue(w, nested);
                    else WriteValue(w, Box(item));
                }
                break;
            default: throw new InvalidOperationException($"cannot write a {value.Raw.GetType().Name} as GGUF");
        }

        static GgufValue Box(object o) => o switch
        {
            byte v => GgufValue.From(v), sbyte v => GgufValue.From(v), ushort v => GgufValue.From(v), short v => GgufValue.From(v),
            uint v => GgufValue.From(v), int v => GgufValue.From(v), float v => GgufValue.From(v), bool v => GgufValue.From(v),
            string v => GgufValue.From(v), ulong v => GgufValue.From(v), long v => GgufValue.From(v), double v => GgufValue.From(v),
            _ => throw new InvalidOperationException($"cannot write a {o.GetType().Name} as GGUF"),
        };
    }

    private void Pad(CountingStream s)
    {
        var pad = GgufFile.AlignUp(s.Length, Alignment) - s.Length;
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        while (pad > 0)
        {
            var n = (int)Math.Min(pad, zeros.Length);
            s.Write(zeros[..n]);
            pad -= n;
        }
    }

    /// <summary>Counts what passes through (and, with no inner stream, only counts).</summary>
    private sealed class CountingStream(Stream? inner = null) : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() => inner?.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner?.Write(buffer);
            _length += buffer.Length;
        }
    }
}
