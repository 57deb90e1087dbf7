// Each kind of broken or hostile GGUF file must end in a GgufFormatException that names the field and offset.

using Tessera.Gguf;

namespace Tessera.Tests.Gguf;

public class GgufHostileFileTests
{
    private static GgufFormatException Rejects(byte[] bytes, string fieldPart, string problemPart)
    {
        var e = Assert.Throws<GgufFormatException>(() => { using var _ = GgufFile.FromBytes(bytes); });
        Assert.Contains(fieldPart, e.Field);
        Assert.Contains(problemPart, e.Problem);
        Assert.InRange(e.Offset, 0, Math.Max(0, bytes.Length));
        return e;
    }

    private static RawGguf OneKv() => new RawGguf().Header(0, 1);

    [Fact] public void EmptyFile() => Rejects([], "magic", "truncated");
    [Fact] public void ShortFile() => Rejects([0x47, 0x47, 0x55], "magic", "truncated");
    [Fact] public void WrongMagic() => Rejects(new RawGguf().U32(0x46554746).U32(3).U64(0).U64(0).ToArray(), "magic", "not a GGUF");
    [Fact] public void VersionOne() => Rejects(new RawGguf().Header(0, 0, version: 1).ToArray(), "version", "obsolete");
    [Fact] public void FutureVersion() => Rejects(new RawGguf().Header(0, 0, version: 4).ToArray(), "version", "unknown");
    [Fact] public void HugeTensorCount() => Rejects(new RawGguf().Header(ulong.MaxValue, 0).ToArray(), "tensor_count", "cannot fit");
    [Fact] public void HugeKvCount() => Rejects(new RawGguf().Header(0, 1UL << 40).ToArray(), "kv_count", "cannot fit");
    [Fact] public void MissingKv() => Rejects(new RawGguf().Header(0, 2).KvU32("a", 1).ToArray(), "kv_count", "cannot fit");
    [Fact] public void TruncatedSecondKv() => Rejects(new RawGguf().Header(0, 2).KvU32("a", 1).Str("bb").U32(4).ToArray(), "kv[\"bb\"]", "truncated");

    [Fact]
    public void KeyLengthPastEnd() => Rejects(OneKv().U64(1000).Bytes("abc"u8).U32(4).U32(1).ToArray(), "kv[0].key", "past the end");

    [Fact]
    public void StringValuePastEnd() => Rejects(OneKv().Str("k").U32(8).U64(ulong.MaxValue).ToArray(), "kv[\"k\"]", "past the end");

    [Fact]
    public void UnknownValueType() => Rejects(OneKv().Str("k").U32(13).U32(0).ToArray(), "kv[\"k\"].type", "unknown metadata value type 13");

    [Fact]
    public void UnknownArrayElementType() =>
        Rejects(OneKv().Str("k").U32(9).U32(77).U64(1).U32(0).ToArray(), "element_type", "unknown array element type 77");

    [Fact]
    public void ArrayCountPastEnd() =>
        Rejects(OneKv().Str("k").U32(9).U32(8).U64(1UL << 50).ToArray(), "kv[\"k\"].count", "cannot fit");

    [Fact]
    public void ArrayOfStringsCountTooLargeForFile() =>
        // 100 strings need at least 800 bytes; only a few follow: refused before allocating anything.
        Rejects(OneKv().Str("k").U32(9).U32(8).U64(100).Str("a").Str("b").ToArray(), "count", "cannot fit");

    [Fact]
    public void DeeplyNestedArrays()
    {
        var raw = OneKv().Str("k").U32(9);
        for (var i = 0; i < 40; i++) raw.U32(9).U64(1);
        raw.U32(4).U64(0);
        Rejects(raw.ToArray(), "kv[\"k\"]", "nested more than");
    }

    [Fact]
    public void BoolNotZeroOrOne() => Rejects(OneKv().Str("k").U32(7).U8(2).ToArray(), "kv[\"k\"]", "bool must be 0 or 1");

    [Fact]
    public void DuplicateKeys() => Rejects(new RawGguf().Header(0, 2).KvU32("a", 1).KvU32("a", 2).ToArray(), "kv[\"a\"]", "duplicate key");

    [Fact]
    public void AlignmentNotPowerOfTwo() =>
        Rejects(OneKv().KvU32("general.alignment", 48).ToArray(), "general.alignment", "not a power of two");

    [Fact]
    public void AlignmentZero() => Rejects(OneKv().KvU32("general.alignment", 0).ToArray(), "general.alignment", "not a power of two");

    [Fact]
    public void AlignmentWrongType() =>
        Rejects(OneKv().Str("general.alignment").U32(10).U64(32).ToArray(), "general.alignment", "must be a u32");

    private static RawGguf OneTensor() => new RawGguf().Header(1, 0);

    [Fact]
    public void TensorNameTooLong() =>
        Rejects(OneTensor().Tensor(new string('n', 64), 0, 0, 1).Align().Zeros(4).ToArray(), "name", "longer than 63");

    [Fact]
    public void DuplicateTensorNames() =>
        Rejects(new RawGguf().Header(2, 0).Tensor("t", 0, 0, 1).Tensor("t", 0, 32, 1).Align().Zeros(36).ToArray(), "\"t\".name", "duplicate tensor");

    [Fact]
    public void ZeroDimensions() => Rejects(OneTensor().Tensor("t", 0, 0).Align().ToArray(), "n_dims", "outside 1..4");

    [Fact]
    public void FiveDimensions() => Rejects(OneTensor().Tensor("t", 0, 0, 1, 1, 1, 1, 1).Align().Zeros(4).ToArray(), "n_dims", "outside 1..4");

    [Fact]
    public void UnknownTensorType() => Rejects(OneTensor().Tensor("t", 99, 0, 32).Align().Zeros(64).ToArray(), ".type", "unknown ggml tensor type 99");

    [Fact]
    public void RowNotWholeBlocks() => Rejects(OneTensor().Tensor("t", 8, 0, 33).Align().Zeros(64).ToArray(), "ne[0]", "not a multiple");

    [Fact]
    public void NegativeDimension() => Rejects(OneTensor().Tensor("t", 0, 0, 1UL << 63).Align().ToArray(), "ne[0]", "negative");

    [Fact]
    public void ShapeTimesTypeSizeOverflows() =>
        Rejects(OneTensor().Tensor("t", 0, 0, 1UL << 31, 1UL << 31, 1UL << 31).Align().ToArray(), ".ne", "overflows");

    [Fact]
    public void TensorDataPastEndOfFile() =>
        Rejects(OneTensor().Tensor("t", 0, 0, 1000).Align().Zeros(100).ToArray(), "\"t\".offset", "outside the file");

    [Fact]
    public void TensorOffsetPastEndOfFile() =>
        Rejects(OneTensor().Tensor("t", 0, 1UL << 62, 1).Align().Zeros(4).ToArray(), "\"t\".offset", "outside the file");

    [Fact]
    public void TensorOffsetHuge() =>
        Rejects(OneTensor().Tensor("t", 0, ulong.MaxValue - 31, 1).Align().Zeros(4).ToArray(), "offset", "beyond any file");

    [Fact]
    public void MisalignedTensor() =>
        Rejects(OneTensor().Tensor("t", 0, 4, 1).Align().Zeros(40).ToArray(), "\"t\".offset", "not a multiple of the alignment");

    [Fact]
    public void OverlappingTensors() =>
        Rejects(new RawGguf().Header(2, 0).Tensor("a", 0, 0, 16).Tensor("b", 0, 32, 16).Align().Zeros(96).ToArray(), "\"b\".offset", "overlaps tensor \"a\"");

    [Fact]
    public void EveryTruncationOfAValidFileIsRejected()
    {
        using var ms = new MemoryStream();
        GgufRoundTripTests.SampleWriter().WriteTo(ms);
        var whole = ms.ToArray();
        // Trailing padding after the last tensor's data may be cut without loss; every shorter prefix must be refused.
        using (var f = GgufFile.FromBytes(whole))
        {
            var end = f.Tensors.Max(t => t.FileOffset + t.ByteSize);
            for (var n = 0; n < end; n++)
                Assert.Throws<GgufFormatException>(() => { using var _ = GgufFile.FromBytes(whole[..n]); });
        }
    }

    [Fact]
    public void ErrorMessageIsOneLineWithFieldAndOffset()
    {
        var e = Rejects(new RawGguf().Header(0, 0, version: 9).ToArray(), "version", "unknown");
        Assert.Equal("version at byte 4: unknown GGUF version 9 (supported: 2, 3)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
