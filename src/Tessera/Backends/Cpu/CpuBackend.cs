// The CPU backend (gpt-oss-facts.md §3.5, §4): SIMD kernels in ggml-cpu's exact arithmetic (Kernels/, one class per op,
// one partial file per instruction-set strategy), run on a persistent thread pool that splits each heavy op by rows.
// Weights are read in place from the memory-mapped GGUF; activations live in pinned arrays and reused native buffers,
// so a decode step allocates nothing once the buffers have grown. Split by op family: CpuBackend.MatMul.cs,
// CpuBackend.Attention.cs, CpuBackend.Moe.cs.

using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Runs the forward-pass ops on the host CPU.</summary>
public sealed partial class CpuBackend : IBackend
{
    private readonly CpuThreadPool _pool;
    private readonly CpuProfile? _profile = CpuProfile.FromEnvironment();

    /// <param name="threads">Threads for the heavy ops, the caller's included; 0 = one per logical core.</param>
    /// <param name="roundActivations">Round activations to the weight type's dot type before each matrix product, as
    /// ggml-cpu does (Q8_0 for Q8_0 and MXFP4 weights); false multiplies the F32 activations as they are.</param>
    /// <param name="isa">Instruction-set strategy of the kernels; null = <see cref="CpuIsaSupport.Default"/> (the best
    /// the machine has, or TESSERA_CPU_ISA).</param>
    public CpuBackend(int threads = 0, bool roundActivations = true, CpuIsa? isa = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        RoundActivations = roundActivations;
        Isa = isa ?? CpuIsaSupport.Default;
        CpuIsaSupport.Require(Isa);
        _pool = new CpuThreadPool(Threads);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    /// <summary>Threads used by the heavy ops.</summary>
    public int Threads { get; }

    /// <summary>Whether activations are rounded like ggml-cpu's before matrix products.</summary>
    public bool RoundActivations { get; }

    /// <summary>The instruction-set strategy of the kernels.</summary>
    public CpuIsa Isa { get; }

    /// <summary>Attention in ggml-cpu's arithmetic, bit for bit (its one-chunk flash attention: queries and the running
    /// value sum rounded to F16, the C library's expf per key and head, keys in position order), for comparisons with
    /// llama.cpp. False (the default) takes the tiled path: a vector exp, an online softmax over blocks of keys, every
    /// thread on one token's keys (split-K). That path computes in F32 throughout (within about 1e-6 of double precision;
    /// the exact path's F16 value sum drifts by up to 1e-2 at depth 5000) and its bits do not depend on the batch, the
    /// threads or the instruction set. May be changed between ops.</summary>
    public bool ExactAttention { get; set; }

    /// <inheritdoc/>
    public Device Device => Device.Cpu;

    /// <inheritdoc/>
    public string Name => $"cpu, {Threads} thread{(Threads == 1 ? "" : "s")}, {Isa.ToString().ToLowerInvariant()}";

    /// <inheritdoc/>
    public BackendTensor NewTensor(GgmlType type, int rows, int columns) => new CpuTensor(type, rows, columns);

    /// <inheritdoc/>
    public BackendTensor ViewRows(BackendTensor tensor, int rows) => Own(tensor).ViewRows(rows);

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<float> source, BackendTensor destination)
    {
        var d = Own(destination);
        RequireLength(source.Length, d);
        if (d.Type == GgmlType.F16)
            F16Convert.Narrow(Isa, source, d.F16Values);
        else
            source.CopyTo(d.F32Values);
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<float> destination)
    {
        var s = Own(source);
        RequireLength(destination.Length, s);
        if (s.Type == GgmlType.F16)
            F16Convert.Widen(Isa, s.F16Values, destination);
        else
            s.F32Values.CopyTo(destination);
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> ReadInPlace(BackendTensor source)
    {
        var s = Own(source);
        if (s.Type != GgmlType.F32)
            throw new ArgumentException($"cannot read {s} in place as floats");
        return s.F32Values;
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<int> destination)
    {
        var s = Own(source);
        RequireLength(destination.Length, s);
        s.I32Values.CopyTo(destination);
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<int> source, BackendTensor destination, int offset = 0)
    {
        var d = Own(destination);
        if (offset < 0 || offset + (long)source.Length > d.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{source.Length} values at {offset} do not fit {d}");
        source.CopyTo(d.I32Values[offset..]);
    }

    /// <inheritdoc/>
    public void CopyRows(BackendTensor source, int sourceRow, BackendTensor destination, int destinationRow, int count)
    {
        var (s, d) = (Own(source), Own(destination));
        BackendTensor.CheckRowCopy(s, sourceRow, d, destinationRow, count);
        int n = s.Columns;
        switch (s.Type)
        {
            case GgmlType.F32: Array.Copy(s.F32, sourceRow * n, d.F32, destinationRow * n, count * n); break;
            case GgmlType.F16: Array.Copy(s.F16, sourceRow * n, d.F16, destinationRow * n, count * n); break;
            default: Array.Copy(s.I32, sourceRow * n, d.I32, destinationRow * n, count * n); break;
        }
    }

    /// <inheritdoc/>
    public void GetRows(WeightTensor table, BackendTensor rowTensor, BackendTensor destination)
    {
        using var timer = new CpuProfile.Timer(_profile, "GetRows");
        var d = Own(destination);
        RequireWeight(table, d.Columns, "table");
        var rows = Indices(rowTensor, d.Rows, "rows");
        var format = BlockFormats.Get(table.Type);
        for (int t = 0; t < rows.Length; t++)
            format.DequantizeRow(table.Row(rows[t]), d.Row(t));
    }

    /// <inheritdoc/>
    public void AddBias(BackendTensor x, WeightTensor bias)
    {
        using var timer = new CpuProfile.Timer(_profile, "AddBias");
        var t = Own(x);
        var b = bias.F32Row();
        RequireWidth(t, b.Length, bias.Name);
        for (int r = 0; r < t.Rows; r++) F32Arithmetic.Add(Isa, t.Row(r), b);
    }

    /// <inheritdoc/>
    public void Add(BackendTensor x, BackendTensor addend)
    {
        using var timer = new CpuProfile.Timer(_profile, "Add");
        var (a, b) = (Own(x), Own(addend));
        if (a.Rows != b.Rows || a.Columns != b.Columns)
            throw new ArgumentException($"cannot add {b} to {a}");
        F32Arithmetic.Add(Isa, a.F32Values, b.F32Values);
    }

    /// <inheritdoc/>
    public void RmsNorm(BackendTensor input, WeightTensor weight, float epsilon, BackendTensor output)
    {
        using var timer = new CpuProfile.Timer(_profile, "RmsNorm");
        var (x, y) = (Own(input), Own(output));
        RequireWidth(x, weight.RowLength, weight.Name);
        RequireSameShape(x, y);
        var w = weight.F32Row();
        for (int t = 0; t < x.Rows; t++) F32RmsNorm.Row(Isa, x.Row(t), w, epsilon, y.Row(t));
    }

    /// <inheritdoc/>
    public void SetRows(BackendTensor source, BackendTensor destination, BackendTensor rowTensor)
    {
        using var timer = new CpuProfile.Timer(_profile, "SetRows");
        var (s, d) = (Own(source), Own(destination));
        if (s.Columns != d.Columns)
            throw new ArgumentException($"cannot set rows of {d} from {s}");
        var rows = Indices(rowTensor, s.Rows, "rows");
        int n = s.Columns;
        for (int t = 0; t < rows.Length; t++)
        {
            if ((uint)rows[t] >= (uint)d.Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[t]} is outside {d}");
            if (d.Type == GgmlType.F16)
                F16Convert.Narrow(Isa, s.Row(t), d.F16.AsSpan(rows[t] * n, n));
            else
                s.Row(t).CopyTo(d.Row(rows[t]));
        }
    }

    public void Dispose()
    {
        _profile?.Print(Console.Error);
        _pool.Dispose();
        _q8.Dispose();
    }

    private CpuProfile.Timer Time(string op, WeightTensor weight) => new(_profile, _profile?.Role(op, weight) ?? op);

    private CpuTensor Own(BackendTensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"tensor {tensor} does not belong to the CPU backend");

    private void RequireWeight(WeightTensor weight, int rowLength, string role)
    {
        if (weight.Device != Device)
            throw new ArgumentException($"{weight.Name} lives on {weight.Device}, not on {Device}");
        if (weight.RowLength != rowLength)
            throw new ArgumentException($"{role} {weight.Name} {weight.Info.ShapeText} has rows of {weight.RowLength}, the operand {rowLength}");
    }

    // The first `count` entries of an I32 index tensor (a step input).
    private ReadOnlySpan<int> Indices(BackendTensor tensor, int count, string what)
    {
        var t = Own(tensor);
        if (t.Type != GgmlType.I32 || count < 0 || count > t.ElementCount)
            throw new ArgumentException($"{what} {t} should be I32 with at least {count} entries");
        return t.I32.AsSpan(0, count);
    }

    private static void RequireLength(int length, CpuTensor t)
    {
        if (length != t.ElementCount)
            throw new ArgumentException($"{length} values for {t}");
    }

    private static void RequireRows(CpuTensor t, int rows)
    {
        if (t.Rows != rows)
            throw new ArgumentException($"{t} should have {rows} rows");
    }

    private static void RequireWidth(CpuTensor t, int columns, string what, string suffix = "")
    {
        if (t.Columns != columns)
            throw new ArgumentException($"{t} does not match {what}{suffix} ({columns} values)");
    }

    private static void RequireSameShape(CpuTensor a, CpuTensor b)
    {
        if (a.Rows != b.Rows || a.Columns != b.Columns)
            throw new ArgumentException($"{a} and {b} should have the same shape");
    }
}
