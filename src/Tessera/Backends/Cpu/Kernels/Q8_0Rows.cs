// Activations quantised to Q8_0 for the integer mat-muls, in native memory that the kernels read through pointers and
// that is reused from op to op (grown, never shrunk), so the decode path allocates nothing. Each row keeps its int8
// quants, the same quants biased by 128 (x ^ 0x80 = x + 128 as a byte: the unsigned operand vpdpbusd and vpmaddubsw
// want, with the bias taken out again through a per-weight-block correction) and one float scale per 32-value block.

using System.Runtime.InteropServices;

namespace Tessera.Backends.Cpu;

/// <summary>Rows of Q8_0 activations: quants, biased quants and block scales.</summary>
internal sealed unsafe class Q8_0Rows : IDisposable
{
    private long _capacity;

    /// <summary>Rows held.</summary>
    public int Rows { get; private set; }

    /// <summary>Values per row (a multiple of 32).</summary>
    public int RowLength { get; private set; }

    /// <summary>32-value blocks per row.</summary>
    public int Blocks => RowLength / 32;

    /// <summary>[Rows × RowLength] int8 quants.</summary>
    public sbyte* Quants { get; private set; }

    /// <summary>[Rows × RowLength] quants + 128, as bytes.</summary>
    public byte* Biased { get; private set; }

    /// <summary>[Rows × Blocks] block scales (the F16 d, widened).</summary>
    public float* Scales { get; private set; }

    /// <summary>Makes room for <paramref name="rows"/> rows of <paramref name="rowLength"/> values.</summary>
    public void Reset(int rows, int rowLength)
    {
        if (rowLength % 32 != 0)
            throw new ArgumentException($"Q8_0 rows hold whole blocks of 32 values, not {rowLength}", nameof(rowLength));
        long needed = (long)rows * rowLength;
        if (needed > _capacity)
        {
            Free();
            long capacity = Math.Max(needed, 64 * 32);
            Quants = (sbyte*)NativeMemory.AlignedAlloc((nuint)capacity, 64);
            Biased = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, 64);
            Scales = (float*)NativeMemory.AlignedAlloc((nuint)(capacity / 32 * sizeof(float)), 64);
            _capacity = capacity;
        }
        Rows = rows;
        RowLength = rowLength;
    }

    /// <summary>Quantises <paramref name="x"/> (RowLength values) into row <paramref name="row"/>.</summary>
    public void Quantize(CpuIsa isa, ReadOnlySpan<float> x, int row)
    {
        if ((uint)row >= (uint)Rows || x.Length != RowLength)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} of {x.Length} values into [{Rows} × {RowLength}]");
        fixed (float* p = x)
            F32Q8_0Quantize.Row(isa, p, RowLength, Quants + (long)row * RowLength, Biased + (long)row * RowLength, Scales + (long)row * Blocks);
    }

    /// <summary>Row <paramref name="row"/>'s quants.</summary>
    public ReadOnlySpan<sbyte> QuantRow(int row) => new(Quants + (long)row * RowLength, RowLength);

    /// <summary>Row <paramref name="row"/>'s block scales.</summary>
    public ReadOnlySpan<float> ScaleRow(int row) => new(Scales + (long)row * Blocks, Blocks);

    private void Free()
    {
        NativeMemory.AlignedFree(Quants);
        NativeMemory.AlignedFree(Biased);
        NativeMemory.AlignedFree(Scales);
        Quants = null;
        Biased = null;
        Scales = null;
        _capacity = 0;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~Q8_0Rows() => Free();
}
