// Activations quantised to Q8_0 for the integer mat-muls, in native memory that the kernels read through pointers and
// that is reused from op to op (grown, never shrunk), so the decode path allocates nothing. Each row keeps its int8
// quants, one float scale per 32-value block, the sum of each block's quants times −12 and the sum of each 4-value group
// times −128. vpdpbusd and vpmaddubsw multiply unsigned by signed bytes; the kernels feed them weights made unsigned by
// an offset c (MXFP4 values + 12, Q8_0 quants + 128) and add −c·Σx, so Σ(w + c)·x − c·Σx = Σw·x exactly.

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

    /// <summary>[Rows × Blocks] −12·(sum of the block's quants): what a block's dot with MXFP4 values + 12 is off by.</summary>
    public int* StartMxfp4 { get; private set; }

    /// <summary>[Rows × Blocks × 8] −128·(sum of each 4-quant group): the start of a dot with Q8_0 quants + 128.</summary>
    public int* StartQ8_0 { get; private set; }

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
            StartMxfp4 = (int*)NativeMemory.AlignedAlloc((nuint)(capacity / 32 * sizeof(int)), 64);
            StartQ8_0 = (int*)NativeMemory.AlignedAlloc((nuint)(capacity / 4 * sizeof(int)), 64);
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
            F32Q8_0Quantize.Row(isa, p, RowLength, Quants + (long)row * RowLength, Scales + (long)row * Blocks,
                StartMxfp4 + (long)row * Blocks, StartQ8_0 + (long)row * Blocks * 8);
    }

    /// <summary>Row <paramref name="row"/>'s quants.</summary>
    public ReadOnlySpan<sbyte> QuantRow(int row) => new(Quants + (long)row * RowLength, RowLength);

    /// <summary>Row <paramref name="row"/>'s MXFP4 starts (one per block).</summary>
    public ReadOnlySpan<int> StartMxfp4Row(int row) => new(StartMxfp4 + (long)row * Blocks, Blocks);

    /// <summary>Row <paramref name="row"/>'s Q8_0 starts (Blocks × 8).</summary>
    public ReadOnlySpan<int> StartQ8_0Row(int row) => new(StartQ8_0 + (long)row * Blocks * 8, Blocks * 8);

    /// <summary>Row <paramref name="row"/>'s block scales.</summary>
    public ReadOnlySpan<float> ScaleRow(int row) => new(Scales + (long)row * Blocks, Blocks);

    private void Free()
    {
        NativeMemory.AlignedFree(Quants);
        NativeMemory.AlignedFree(StartMxfp4);
        NativeMemory.AlignedFree(StartQ8_0);
        NativeMemory.AlignedFree(Scales);
        Quants = null;
        StartMxfp4 = null;
        StartQ8_0 = null;
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
