// The backends the conformance suite runs against: the CPU always (in CI), CUDA where a GPU can be used (on the GPU
// machine; skipped with the driver's reason elsewhere). One CUDA context is shared by every test of the run.

using Tessera.Backends;
using Tessera.Backends.Cpu;
using Tessera.Backends.Cuda;
using Tessera.Gguf;
using Tessera.Quants;

namespace Tessera.Tests.Backends;

public static class TestBackends
{
    public static TheoryData<string> Names => ["cpu", "cuda"];

    private static readonly Lazy<CudaContext> SharedContext = new(CudaContext.Open);

    /// <summary>The one CUDA context the tests share (callers first make sure a GPU can be used: <see cref="RequireGpu"/>).</summary>
    public static CudaContext Context => SharedContext.Value;

    /// <summary>The backend called <paramref name="name"/>; skips the test when it is CUDA and no GPU can be used.</summary>
    /// <remarks>The CPU backend multiplies F32 activations as they are (no Q8_0 rounding), so both backends are held to
    /// the same exact-arithmetic reference.</remarks>
    public static IBackend Create(string name)
    {
        if (name == "cpu") return new CpuBackend(2, roundActivations: false);
        RequireGpu();
        return new CudaBackend(Context);
    }

    /// <summary>Skips the calling test, with the reason, when no CUDA GPU can be used here.</summary>
    public static void RequireGpu()
    {
        if (CudaDeviceInfo.Probe(out var reason) is null)
            Assert.Skip($"needs a CUDA GPU: {reason}");
    }

    /// <summary>A backend tensor holding <paramref name="values"/>.</summary>
    public static BackendTensor Tensor(this IBackend b, int rows, int columns, float[] values, GgmlType type = GgmlType.F32)
    {
        var t = b.NewTensor(type, rows, columns);
        b.Write(values, t);
        return t;
    }

    public static BackendTensor Indices(this IBackend b, int rows, int columns, int[] values)
    {
        var t = b.NewTensor(GgmlType.I32, rows, columns);
        b.Write(values, t);
        return t;
    }

    public static float[] ReadFloats(this IBackend b, BackendTensor t)
    {
        var v = new float[t.ElementCount];
        b.Read(t, v);
        return v;
    }

    public static int[] ReadInts(this IBackend b, BackendTensor t)
    {
        var v = new int[t.ElementCount];
        b.Read(t, v);
        return v;
    }
}

/// <summary>Weights written to a temporary GGUF, mapped, and loaded through a backend (as a model's weights are).</summary>
public sealed class TestWeights : IDisposable
{
    private readonly GgufWriter _writer = new();
    private readonly Dictionary<string, (GgmlType Type, long[] Dims, byte[] Raw)> _tensors = [];
    private GgufFile? _file;

    /// <summary>Adds a tensor from raw bytes in its ggml format.</summary>
    public TestWeights Add(string name, GgmlType type, long[] dims, byte[] raw)
    {
        _writer.AddTensor(name, type, dims, raw);
        _tensors[name] = (type, dims, raw);
        return this;
    }

    /// <summary>Adds an F32 tensor.</summary>
    public TestWeights AddF32(string name, long[] dims, float[] values) =>
        Add(name, GgmlType.F32, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>Random weights of <paramref name="type"/>: values of about unit size for F32/F16, random blocks with sane
    /// scales for Q8_0 and MXFP4.</summary>
    public TestWeights AddRandom(string name, GgmlType type, long[] dims, Random rng)
    {
        long values = dims.Aggregate(1L, (a, d) => a * d);
        byte[] raw;
        switch (type)
        {
            case GgmlType.F32:
                raw = new byte[values * 4];
                for (long i = 0; i < values; i++) BitConverter.TryWriteBytes(raw.AsSpan((int)(i * 4)), (float)(rng.NextDouble() * 2 - 1));
                break;
            case GgmlType.F16:
                raw = new byte[values * 2];
                for (long i = 0; i < values; i++) BitConverter.TryWriteBytes(raw.AsSpan((int)(i * 2)), (Half)(rng.NextDouble() * 2 - 1));
                break;
            case GgmlType.Q8_0:
                raw = new byte[values / 32 * 34];
                rng.NextBytes(raw);
                for (long b = 0; b < values / 32; b++) BitConverter.TryWriteBytes(raw.AsSpan((int)(b * 34)), (Half)(0.004 + rng.NextDouble() * 0.01));
                break;
            case GgmlType.MXFP4:
                raw = new byte[values / 32 * 17];
                rng.NextBytes(raw);
                for (long b = 0; b < values / 32; b++) raw[b * 17] = (byte)rng.Next(122, 128);
                break;
            default: throw new NotSupportedException(type.ToString());
        }
        return Add(name, type, dims, raw);
    }

    /// <summary>The values of a tensor as floats (the reference's view), slice-major.</summary>
    public float[] Values(string name)
    {
        var (type, dims, raw) = _tensors[name];
        var format = BlockFormats.Get(type);
        long count = dims.Aggregate(1L, (a, d) => a * d);
        var result = new float[count];
        format.DequantizeRow(raw, result);
        return result;
    }

    /// <summary>Writes the GGUF file to <paramref name="path"/>.</summary>
    public void Write(string path) => _writer.WriteTo(path);

    /// <summary>Writes the file, maps it and loads every tensor through <paramref name="backend"/>.</summary>
    public Dictionary<string, WeightTensor> Load(IBackend backend) =>
        Map().ToDictionary(p => p.Key, p => backend.Load(p.Value));

    /// <summary>Writes the file and maps it: every tensor in place in host memory.</summary>
    public Dictionary<string, WeightTensor> Map()
    {
        var path = TestModels.TempPath("weights.gguf");
        Write(path);
        _file = GgufFile.Open(path);
        return _file.Tensors.ToDictionary(t => t.Name, t => WeightTensor.Mapped(_file, t));
    }

    public void Dispose() => _file?.Dispose();
}

/// <summary>Comparisons with a stated tolerance: relative RMS error and the largest error relative to the RMS of the reference.</summary>
public static class Tolerance
{
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relRms, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double err = 0, norm = 0, worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"{what}: NaN at {i}");
            double e = actual[i] - (double)expected[i];
            err += e * e;
            norm += (double)expected[i] * expected[i];
            if (Math.Abs(e) > worst) { worst = Math.Abs(e); worstAt = i; }
        }
        double rms = Math.Sqrt(norm / Math.Max(1, expected.Length));
        double rel = Math.Sqrt(err / Math.Max(norm, 1e-30));
        if (rel > relRms)
            Assert.Fail($"{what}: relative RMS error {rel:E2} > {relRms:E2} (worst {worst:E2} at {worstAt}: {expected[worstAt]} vs {actual[worstAt]}; rms {rms:E2})");
        if (worst > 20 * relRms * rms + 1e-30)
            Assert.Fail($"{what}: worst error {worst:E2} at {worstAt} is over 20× the allowed RMS error ({expected[worstAt]} vs {actual[worstAt]}; rms {rms:E2})");
    }
}
