// Mutation fuzzing of the GGUF reader: valid files with flipped bits, interesting integers written over counts and
// lengths, cuts, insertions and repeats. Whatever the bytes, the reader either returns a file whose every tensor can be
// read, or throws GgufFormatException. Inputs that ever broke that rule live in Corpus/ and are replayed on every run.
// CI runs a fixed number of iterations; TESSERA_FUZZ_SECONDS=N runs longer and saves new failures to Corpus/.

using System.Buffers.Binary;
using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Tests.Gguf;

public class GgufFuzzTests
{
    private static readonly ulong[] Interesting =
        [0, 1, 2, 3, 7, 8, 9, 12, 13, 31, 32, 33, 63, 64, 255, 256, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 1UL << 62, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, ulong.MaxValue - 31];

    private static byte[][] Seeds()
    {
        var seeds = new List<byte[]>();
        using (var ms = new MemoryStream()) { GgufRoundTripTests.SampleWriter().WriteTo(ms); seeds.Add(ms.ToArray()); }
        using (var ms = new MemoryStream()) { GgufRoundTripTests.SampleWriter(64).WriteTo(ms); seeds.Add(ms.ToArray()); }
        var w = new GgufWriter();
        w.Add("general.architecture", "gpt-oss");
        w.Add("gpt-oss.block_count", 1u);
        w.Add("tokenizer.ggml.tokens", GgufValue.Array(Enumerable.Range(0, 50).Select(i => $"t{i}").ToArray()));
        w.Add("tokenizer.ggml.token_type", GgufValue.Array(Enumerable.Repeat(1, 50).ToArray()));
        w.AddTensor("blk.0.ffn_up_exps.weight", GgmlType.MXFP4, [64, 2, 2], new byte[4 * 34]);
        w.AddTensor("blk.0.attn_q.bias", [8], new float[8]);
        w.AddTensor("token_embd.weight", GgmlType.Q8_0, [32, 4], new byte[4 * 34]);
        using (var ms = new MemoryStream()) { w.WriteTo(ms); seeds.Add(ms.ToArray()); }
        return [.. seeds];
    }

    internal static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = new List<byte>(seed);
        var rounds = 1 + rng.Next(4);
        for (var r = 0; r < rounds && data.Count > 0; r++)
        {
            var at = rng.Next(data.Count);
            switch (rng.Next(7))
            {
                case 0: data[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: data[at] = (byte)rng.Next(256); break;
                case 2: // an interesting 32- or 64-bit integer over a field
                {
                    var v = Interesting[rng.Next(Interesting.Length)];
                    var width = rng.Next(2) == 0 ? 4 : 8;
                    at &= ~3;   // fields in GGUF headers often start on 4-byte boundaries; not always, which case 0/1 cover
                    for (var i = 0; i < width && at + i < data.Count; i++) data[at + i] = (byte)(v >> (8 * i));
                    break;
                }
                case 3: data.RemoveRange(at, data.Count - at); break;
                case 4: data.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(16)).Select(_ => (byte)rng.Next(256))); break;
                case 5: data.RemoveRange(at, Math.Min(data.Count - at, 1 + rng.Next(16))); break;
                default:
                {
                    var len = Math.Min(data.Count - at, 1 + rng.Next(64));
                    data.InsertRange(rng.Next(data.Count), data.GetRange(at, len));
                    break;
                }
            }
        }
        return [.. data];
    }

    /// <summary>Parses and, when accepted, touches everything; returns the exception that breaks the contract, if any.</summary>
    internal static Exception? Check(byte[] input)
    {
        try
        {
            using var f = GgufFile.FromBytes(input);
            foreach (var (_, v) in f.MetadataEntries) _ = v.ToDisplayString();
            foreach (var t in f.Tensors)
            {
                var data = f.GetTensorData(t);
                if (data.Length != t.ByteSize) return new InvalidOperationException($"{t.Name}: span {data.Length} != {t.ByteSize}");
                if (data.Length > 0) _ = data[0] + data[^1];
                if (t.FileOffset < f.DataOffset || t.FileOffset + t.ByteSize > f.FileSize)
                    return new InvalidOperationException($"{t.Name} accepted outside the data section");
            }
            return null;
        }
        catch (GgufFormatException) { return null; }
        catch (Exception e) { return e; }
    }

    [Fact]
    public void MutatedFilesNeverBreakTheReader()
    {
        var seeds = Seeds();
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("TESSERA_FUZZ_SECONDS"), out var s) ? s : 0;
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var rng = new Random(20261126);
        var failures = new List<string>();
        var iterations = 0;
        for (; iterations < 20_000 || DateTime.UtcNow < deadline; iterations++)
        {
            var input = Mutate(seeds[iterations % seeds.Length], rng);
            if (Check(input) is { } e)
            {
                failures.Add($"iteration {iterations}: {e.GetType().Name}: {e.Message}");
                if (seconds > 0) File.WriteAllBytes(Path.Combine(CorpusDirectory(), $"fuzz-{Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(input))[..12]}.gguf"), input);
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"GGUF fuzz: {iterations} inputs, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    public static TheoryData<string> CorpusFiles() => [.. Directory.GetFiles(CorpusDirectory(), "*.gguf").Select(Path.GetFileName).OfType<string>()];

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void CorpusCasesStayFixed(string name)
    {
        var e = Check(File.ReadAllBytes(Path.Combine(CorpusDirectory(), name)));
        Assert.Null(e);
    }

    private static string CorpusDirectory()
    {
        // Source folder when run from the repository (so a long fuzz run adds to it), else the copy beside the tests.
        var dir = AppContext.BaseDirectory;
        for (var d = new DirectoryInfo(dir); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "Tessera.Tests", "Gguf", "Corpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        return Path.Combine(dir, "Gguf", "Corpus");
    }

    [Fact]
    public void InterestingIntegersAreLittleEndianFields()
    {
        // Guard for the mutator itself: writing an interesting value over a header count is visible to the reader.
        var seed = Seeds()[0];
        var copy = (byte[])seed.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(8), ulong.MaxValue);
        Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(copy));
    }
}
