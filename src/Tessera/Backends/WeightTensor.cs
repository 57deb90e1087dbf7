// A model weight as a GGUF tensor plus where its bytes live. On the CPU the bytes are the memory-mapped file itself, never
// copied; a GPU backend would hold a device copy and set Device accordingly. Shapes follow ggml: {ne0 = input (contiguous),
// ne1 = output rows, ne2 = experts}; a row is ne0 values in the tensor's block format (gpt-oss-facts.md §2.2, §3).

using System.Runtime.InteropServices;
using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Backends;

/// <summary>A weight tensor: GGUF description, data address and the device that holds it.</summary>
/// <remarks>A CPU weight points into a <see cref="GgufFile"/>'s mapping and is valid only while that file is open.</remarks>
public sealed unsafe class WeightTensor
{
    private readonly byte* _data;

    private WeightTensor(GgufTensorInfo info, byte* data, Device device, object? deviceData = null)
    {
        Info = info;
        _data = data;
        Device = device;
        DeviceData = deviceData;
        RowLength = checked((int)info.RowLength);
        Rows = info.Dimensions.Length > 1 ? checked((int)info.Dimensions[1]) : 1;
        Slices = info.Dimensions.Length > 2 ? checked((int)info.Dimensions[2]) : 1;
        RowBytes = GgmlTypeInfo.Get(info.Type).RowBytes(RowLength);
    }

    /// <summary>The tensor <paramref name="info"/> of <paramref name="file"/>, in place in the file's mapping.</summary>
    public static WeightTensor Mapped(GgufFile file, GgufTensorInfo info)
    {
        if (!ReferenceEquals(file.FindTensor(info.Name), info))
            throw new ArgumentException($"tensor {info.Name} does not belong to this file", nameof(info));
        return new(info, (byte*)file.GetTensorAddress(info), Device.Cpu);
    }

    /// <summary>A copy of <paramref name="host"/> that a backend made on <paramref name="device"/>; <paramref name="deviceData"/>
    /// is that backend's own description of it (a device address, a layout).</summary>
    public static WeightTensor OnDevice(WeightTensor host, Device device, object deviceData) =>
        new(host.Info, device == Device.Cpu ? host._data : null, device, deviceData);

    /// <summary>What the backend that holds a device copy knows of it; null for a host weight.</summary>
    public object? DeviceData { get; }

    /// <summary>The GGUF tensor info (name, shape, type).</summary>
    public GgufTensorInfo Info { get; }

    /// <summary>The GGUF tensor name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name => Info.Name;

    /// <summary>Element type of the stored data.</summary>
    public GgmlType Type => Info.Type;

    /// <summary>Where the data lives.</summary>
    public Device Device { get; }

    /// <summary>Values per row (ne0): the input width of a matrix.</summary>
    public int RowLength { get; }

    /// <summary>Rows per slice (ne1): the output width of a matrix; 1 for a vector.</summary>
    public int Rows { get; }

    /// <summary>Slices (ne2): the expert count of an expert tensor; 1 otherwise.</summary>
    public int Slices { get; }

    /// <summary>Bytes per row.</summary>
    public long RowBytes { get; }

    /// <summary>The stored bytes of row <paramref name="row"/> of slice <paramref name="slice"/> (host memory only).</summary>
    public ReadOnlySpan<byte> Row(int row, int slice = 0)
    {
        if (Device != Device.Cpu)
            throw new InvalidOperationException($"{Name} lives on {Device}; only host weights can be read directly");
        if ((uint)row >= (uint)Rows || (uint)slice >= (uint)Slices)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} of slice {slice} is outside {Name} {Info.ShapeText}");
        return new ReadOnlySpan<byte>(_data + ((long)slice * Rows + row) * RowBytes, checked((int)RowBytes));
    }

    /// <summary>Reads a byte of every page of a host weight, so that the system maps its pages now rather than at first use.
    /// Nothing for a weight on a device.</summary>
    /// <remarks>For a table read a row at a time while a GPU waits: the token embedding, which stays in host memory (0.6 GB
    /// for gpt-oss-20b) and gives one row a token, where the GPU backend cannot read it in place
    /// (<see cref="IBackend.ReadHostTableInPlace"/>) and the host looks the row up before each decode step's launch. A row
    /// whose page the process has not touched yet costs a page fault: 45-49 µs a random row on the 2-core development
    /// machine against 2-3 µs once the pages are mapped. Reading a 0.6 GB table's pages takes 0.27-0.29 s there.</remarks>
    public void MapPages()
    {
        if (Device != Device.Cpu) return;
        const int Page = 4096;
        long bytes = (long)Slices * Rows * RowBytes;
        int sum = 0;
        for (long i = 0; i < bytes; i += Page) sum += Volatile.Read(ref _data[i]);
        _pagesRead = sum;
    }

    private static int _pagesRead;   // what MapPages read, kept so that its reads stay

    /// <summary>The address of slice <paramref name="slice"/>'s first row, for kernels that read rows by pointer (host only).</summary>
    internal byte* SliceAddress(int slice)
    {
        if (Device != Device.Cpu)
            throw new InvalidOperationException($"{Name} lives on {Device}; only host weights can be read directly");
        if ((uint)slice >= (uint)Slices)
            throw new ArgumentOutOfRangeException(nameof(slice), $"slice {slice} is outside {Name} {Info.ShapeText}");
        return _data + (long)slice * Rows * RowBytes;
    }

    /// <summary>Row <paramref name="row"/> of slice <paramref name="slice"/> of an F32 tensor, as floats.</summary>
    public ReadOnlySpan<float> F32Row(int row = 0, int slice = 0)
    {
        if (Type != GgmlType.F32)
            throw new InvalidOperationException($"{Name} is {Type}, not F32");
        return MemoryMarshal.Cast<byte, float>(Row(row, slice));
    }

    public override string ToString() => $"{Name} {Info.ShapeText} {Type} on {Device}";
}
