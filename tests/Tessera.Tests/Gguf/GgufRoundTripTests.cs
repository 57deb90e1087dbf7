// The writer's files read back with every value and tensor intact.

using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Tests.Gguf;

public class GgufRoundTripTests
{
    internal static GgufWriter SampleWriter(uint alignment = 32)
    {
        var w = new GgufWriter { Alignment = alignment };
        w.Add("general.architecture", "test");
        w.Add("u8", GgufValue.From((byte)200));
        w.Add("i8", GgufValue.From((sbyte)-100));
        w.Add("u16", GgufValue.From((ushort)60000));
        w.Add("i16", GgufValue.From((short)-30000));
        w.Add("u32", GgufValue.From(4000000000u));
        w.Add("i32", GgufValue.From(-2000000000));
        w.Add("f32", GgufValue.From(1.5f));
        w.Add("bool", GgufValue.From(true));
        w.Add("str", GgufValue.From("héllo ✓ 世界"));
        w.Add("u64", GgufValue.From(ulong.MaxValue));
        w.Add("i64", GgufValue.From(long.MinValue));
        w.Add("f64", GgufValue.From(Math.PI));
        w.Add("arr.str", GgufValue.Array(new[] { "a", "", "Ġthe" }));
        w.Add("arr.i32", GgufValue.Array(new[] { 1, -2, 3 }));
        w.Add("arr.bool", GgufValue.Array(new[] { true, false }));
        w.Add("arr.f64", GgufValue.Array(new[] { 0.25, -1e300 }));
        w.Add("arr.nested", GgufValue.ArrayOfArrays([GgufValue.Array(new[] { 1u, 2u }), GgufValue.Array(new[] { "x" }),
            GgufValue.ArrayOfArrays([GgufValue.Array(Array.Empty<long>())])]));
        w.AddTensor("a.f32", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        w.AddTensor("b.q8", GgmlType.Q8_0, [64], Enumerable.Range(0, 68).Select(i => (byte)i).ToArray());
        w.AddTensor("c.mxfp4", GgmlType.MXFP4, [32, 1, 3], Enumerable.Range(0, 51).Select(i => (byte)(255 - i)).ToArray());
        w.AddTensor("d.empty", GgmlType.F16, [0, 4], ReadOnlyMemory<byte>.Empty);
        return w;
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(1u)]
    public void EveryValueTypeAndTensorReadsBack(uint alignment)
    {
        var w = SampleWriter(alignment);
        using var ms = new MemoryStream();
        w.WriteTo(ms);
        Assert.Equal(w.ComputeFileSize(), ms.Length);
        using var f = GgufFile.FromBytes(ms.ToArray());

        Assert.Equal(3u, f.Version);
        Assert.Equal(alignment, f.Alignment);
        Assert.Equal(0, f.DataOffset % alignment);
        Assert.Equal("test", f["general.architecture"]!.AsString());
        Assert.Equal((byte)200, f["u8"]!.Raw);
        Assert.Equal((sbyte)-100, f["i8"]!.Raw);
        Assert.Equal((ushort)60000, f["u16"]!.Raw);
        Assert.Equal((short)-30000, f["i16"]!.Raw);
        Assert.Equal(4000000000L, f["u32"]!.AsInt64());
        Assert.Equal(-2000000000L, f["i32"]!.AsInt64());
        Assert.Equal(1.5, f["f32"]!.AsDouble());
        Assert.True(f["bool"]!.AsBool());
        Assert.Equal("héllo ✓ 世界", f["str"]!.AsString());
        Assert.Equal(ulong.MaxValue, f["u64"]!.Raw);
        Assert.Equal(long.MinValue, f["i64"]!.AsInt64());
        Assert.Equal(Math.PI, f["f64"]!.AsDouble());
        Assert.Equal(["a", "", "Ġthe"], f["arr.str"]!.AsArray<string>());
        Assert.Equal([1, -2, 3], f["arr.i32"]!.AsArray<int>());
        Assert.Equal([true, false], f["arr.bool"]!.AsArray<bool>());
        Assert.Equal([0.25, -1e300], f["arr.f64"]!.AsArray<double>());
        var nested = f["arr.nested"]!.AsArray<GgufValue>();
        Assert.Equal([1u, 2u], nested[0].AsArray<uint>());
        Assert.Equal(["x"], nested[1].AsArray<string>());
        Assert.Empty(nested[2].AsArray<GgufValue>()[0].AsArray<long>());
        Assert.Equal("arr[arr,3]", f["arr.nested"]!.Describe());
        Assert.Equal(alignment == 32 ? 18 : 19, f.MetadataEntries.Count);

        Assert.Equal(["a.f32", "b.q8", "c.mxfp4", "d.empty"], f.Tensors.Select(t => t.Name));
        var a = f.FindTensor("a.f32")!;
        Assert.Equal([3L, 2L], a.Dimensions);
        Assert.Equal(24, a.ByteSize);
        Assert.Equal(5f, BitConverter.ToSingle(f.GetTensorData(a)[16..20]));
        Assert.Equal(Enumerable.Range(0, 68).Select(i => (byte)i), f.GetTensorData(f.FindTensor("b.q8")!).ToArray());
        var c = f.FindTensor("c.mxfp4")!;
        Assert.Equal(51, c.ByteSize);
        Assert.Equal(3, c.RowCount);
        Assert.Equal(17, c.RowBytes);
        Assert.Equal((byte)(255 - 17), f.GetTensorSlice(c, 17, 1)[0]);
        Assert.Equal(0, f.FindTensor("d.empty")!.ByteSize);
        Assert.All(f.Tensors, t => Assert.Equal(0, t.RelativeOffset % alignment));
    }

    [Fact]
    public void VersionTwoFilesRead()
    {
        var bytes = new RawGguf().Header(1, 1, version: 2).KvU32("k", 7).Tensor("t", 0, 0, 2).Align().F32(1).F32(2).ToArray();
        using var f = GgufFile.FromBytes(bytes);
        Assert.Equal(2u, f.Version);
        Assert.Equal(7, f["k"]!.AsInt64());
        Assert.Equal(8, f.GetTensorData(f.Tensors[0]).Length);
    }

    [Fact]
    public void FilesOpenMemoryMapped()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-rt-{Guid.NewGuid():N}.gguf");
        try
        {
            SampleWriter().WriteTo(path);
            Assert.False(File.Exists(path + ".partial"));
            using var f = GgufFile.Open(path);
            Assert.Equal(path, f.Path);
            Assert.Equal(new FileInfo(path).Length, f.FileSize);
            Assert.Equal(6f, BitConverter.ToSingle(f.GetTensorData(f.FindTensor("a.f32")!)[20..24]));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void WriterRejectsWhatReadersWould()
    {
        var w = new GgufWriter();
        w.Add("k", 1u);
        Assert.Throws<ArgumentException>(() => w.Add("k", 2u));
        w.AddTensor("t", [1], [1f]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("t", [1], [1f]));
        Assert.Throws<ArgumentException>(() => w.AddTensor(new string('x', 64), [1], [1f]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("q", GgmlType.Q8_0, [33], new byte[34]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("five", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]));
        w.AddTensor("short", GgmlType.F32, [4], new byte[12]);
        Assert.Throws<InvalidOperationException>(() => w.WriteTo(new MemoryStream()));
    }
}
