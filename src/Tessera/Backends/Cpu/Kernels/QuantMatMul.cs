// The operands of one integer mat-mul, y[YRows[i], r] = W[r]·x[XRows[i]] for a range of weight rows r and Count
// activation rows, shared by Q8_0Q8_0wMatMul and Q8_0Mxfp4wMatMul. Index lists let one expert's product read its tokens
// straight from the batch and write straight into the expert-slot rows, with nothing copied. Weight rows are read in
// place from the memory-mapped file; a row pass serves a tile of up to Tile activation rows, so a batch reads each weight
// row once per tile instead of once per token. Helpers here keep ggml's arithmetic: 8 float lanes per block, lane j the
// integer sum of elements 4j..4j+3, reduced as hsum_float_8 (see GgmlDot).

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Operands of an integer mat-mul over Q8_0 activations.</summary>
internal unsafe struct QuantMatMul
{
    /// <summary>Activation rows a weight row pass serves at most.</summary>
    public const int Tile = 4;

    public byte* Weights;     // row 0 of the weight slice (expert)
    public int Rows;          // weight rows
    public long RowBytes;     // bytes per weight row
    public int Blocks;        // 32-value blocks per row
    public sbyte* XQuants;    // [rows × Blocks·32] activation quants
    public int* XStartMxfp4;  // [rows × Blocks] −12·(block quant sums)
    public int* XStartQ8_0;   // [rows × Blocks × 8] −128·(4-quant group sums)
    public float* XScales;    // [rows × Blocks] activation block scales
    public int* XRows;        // [Count] activation row of product i
    public float* Y;          // output
    public int* YRows;        // [Count] output row of product i
    public int YStride;       // floats per output row
    public int Count;         // products (activation rows) per weight row

    public readonly sbyte* Quants(int i) => XQuants + (long)XRows[i] * Blocks * 32;
    public readonly int* StartsMxfp4(int i) => XStartMxfp4 + (long)XRows[i] * Blocks;
    public readonly int* StartsQ8_0(int i) => XStartQ8_0 + (long)XRows[i] * Blocks * 8;
    public readonly float* Scales(int i) => XScales + (long)XRows[i] * Blocks;
    public readonly float* Output(int i) => Y + (long)YRows[i] * YStride;
    public readonly byte* Row(int r) => Weights + r * RowBytes;
}

/// <summary>A compile-time tile width: how many activation rows one weight row pass serves.</summary>
internal interface ITile
{
    static abstract int N { get; }
}

internal struct Tile1 : ITile { public static int N => 1; }
internal struct Tile2 : ITile { public static int N => 2; }
internal struct Tile3 : ITile { public static int N => 3; }
internal struct Tile4 : ITile { public static int N => 4; }

/// <summary>A loop over weight rows for a compile-time tile of activation rows (one per ISA strategy and weight type).</summary>
internal interface ITileLoop
{
    static abstract void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile;
}

/// <summary>The strategies of one integer mat-mul kernel: each computes weight rows [rowStart, rowEnd) against
/// activation rows first..first+count−1 (count ≤ <see cref="QuantMatMul.Tile"/>).</summary>
internal interface IQuantKernel
{
    static abstract void Scalar(in QuantMatMul m, int rowStart, int rowEnd, int first, int count);
    static abstract void Vector128(in QuantMatMul m, int rowStart, int rowEnd, int first, int count);
    static abstract void Avx2(in QuantMatMul m, int rowStart, int rowEnd, int first, int count);
    static abstract void AvxVnni(in QuantMatMul m, int rowStart, int rowEnd, int first, int count);
    static abstract void Avx512(in QuantMatMul m, int rowStart, int rowEnd, int first, int count);
}

/// <summary>What the integer mat-mul kernels share: tiling, dispatch by ISA, the scalar reference loop.</summary>
internal static unsafe class QuantKernel
{
    /// <summary>Weight rows [rowStart, rowEnd) against every activation row of <paramref name="m"/>, a tile at a time.</summary>
    public static void Rows<K>(CpuIsa isa, in QuantMatMul m, int rowStart, int rowEnd) where K : IQuantKernel
    {
        for (int i = 0; i < m.Count; i += QuantMatMul.Tile)
        {
            int n = Math.Min(QuantMatMul.Tile, m.Count - i);
            switch (isa)
            {
                case CpuIsa.Scalar: K.Scalar(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Vector128: K.Vector128(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Avx2: K.Avx2(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.AvxVnni: K.AvxVnni(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Avx512: K.Avx512(m, rowStart, rowEnd, i, n); break;
                default: throw new ArgumentOutOfRangeException(nameof(isa));
            }
        }
    }

    /// <summary>Runs loop <typeparamref name="L"/> instantiated for a tile of <paramref name="count"/> activation rows.</summary>
    public static void ForTile<L>(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) where L : struct, ITileLoop
    {
        switch (count)
        {
            case 1: L.Rows<Tile1>(m, rowStart, rowEnd, first); break;
            case 2: L.Rows<Tile2>(m, rowStart, rowEnd, first); break;
            case 3: L.Rows<Tile3>(m, rowStart, rowEnd, first); break;
            default: L.Rows<Tile4>(m, rowStart, rowEnd, first); break;
        }
    }

    /// <summary>The scalar reference: each weight row decoded (Q8_0Activations) and dotted by a GgmlDot kernel.</summary>
    public static void Scalar(in QuantMatMul m, int rowStart, int rowEnd, int first, int count, int blockBytes,
        delegate*<ReadOnlySpan<byte>, Span<sbyte>, Span<float>, void> decode, delegate*<GgmlDot.QuantRow, GgmlDot.QuantRow, float> dot)
    {
        int blocks = m.Blocks;
        var quants = new sbyte[blocks * 32];
        var scales = new float[blocks];
        for (int r = rowStart; r < rowEnd; r++)
        {
            decode(new ReadOnlySpan<byte>(m.Row(r), blocks * blockBytes), quants, scales);
            var w = new GgmlDot.QuantRow(quants, scales);
            for (int i = first; i < first + count; i++)
                m.Output(i)[r] = dot(w, new GgmlDot.QuantRow(new ReadOnlySpan<sbyte>(m.Quants(i), blocks * 32), new ReadOnlySpan<float>(m.Scales(i), blocks)));
        }
    }
}

/// <summary>Arithmetic shared by the integer mat-mul kernels.</summary>
internal static class QuantMath
{
    /// <summary>ggml's hsum_float_8: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        return (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3));
    }

    /// <summary><see cref="Sum(Vector256{float})"/> of eight lanes held as two 4-lane halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> lower, Vector128<float> upper)
    {
        var h = lower + upper;
        return (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3));
    }

    /// <summary>The block scale of MXFP4 exponent byte e (2^(e−128), <see cref="Mxfp4Format.Scale"/>).</summary>
    public static readonly float[] Mxfp4Scales = Enumerable.Range(0, 256).Select(e => Mxfp4Format.Scale((byte)e)).ToArray();

    /// <summary><see cref="Mxfp4Scales"/> in native memory (no bounds checks in the kernels).</summary>
    public static readonly unsafe float* Mxfp4ScalesPointer = Pinned(Mxfp4Scales);

    private static unsafe float* Pinned(float[] values)
    {
        var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(values.Length * sizeof(float)), 64);
        values.CopyTo(new Span<float>(p, values.Length));
        return p;
    }

    /// <summary>ggml's kvalues_mxfp4, for a vpshufb lookup by nibble.</summary>
    public static Vector128<sbyte> Mxfp4Values
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((sbyte)0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    }

    /// <summary>acc + d·(4-value group sums of w·x) for one block: vpmaddubsw(|w|, sign(x, w)), vpmaddwd with ones (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Avx2Block(Vector256<float> acc, Vector256<byte> absW, Vector256<sbyte> w, sbyte* x, float d)
    {
        var products = Avx2.MultiplyAddAdjacent(absW, Avx2.Sign(Avx.LoadVector256(x), w));
        var sums = Avx2.MultiplyAddAdjacent(products, Vector256.Create((short)1));
        return Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sums), acc);
    }

    /// <summary>acc + d·(4-value group sums of w·x) for one block, from weights offset by c to unsigned bytes and the
    /// activation's start −c·Σx: one vpdpbusd (AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> VnniBlock(Vector256<float> acc, Vector256<byte> offsetW, sbyte* x, int* start, float d)
    {
        var sums = AvxVnni.MultiplyWideningAndAdd(Avx.LoadVector256(start), offsetW, Avx.LoadVector256(x));
        return Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sums), acc);
    }

    /// <summary>ggml's kvalues_mxfp4 + 12 (0..24), the unsigned weights of <see cref="VnniBlock"/>, twice (both lanes).</summary>
    public static Vector256<byte> Mxfp4ValuesPlus12
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create((byte)12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
        12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0);
    }

    /// <summary>The 32 weights of an MXFP4 block plus 12: the 16 nibble bytes in both lanes, the upper lane shifted right
    /// by 4 (vpsrlvd), masked and looked up (vpshufb) — values 0..15 then 16..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<byte> DecodeMxfp4Plus12(byte* block, Vector256<byte> table, Vector256<uint> shifts, Vector256<byte> mask)
    {
        var bits = Avx2.BroadcastVector128ToVector256(block + 1);
        return Avx2.Shuffle(table, Avx2.ShiftRightLogicalVariable(bits.AsUInt32(), shifts).AsByte() & mask);
    }

    /// <summary>The shifts of <see cref="DecodeMxfp4Plus12"/>: none for the lower lane, 4 for the upper.</summary>
    public static Vector256<uint> NibbleShifts => Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4);

    /// <summary>The F16 scale at the start of a Q8_0 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Q8_0Scale(byte* block) => HalfBits.ToSingle(*(ushort*)block);
}

/// <summary>Portable 128-bit integer dots (no vpmaddubsw): the 4-value group sums of 16 int8 products.</summary>
internal static class QuantMath128
{
    private static Vector128<byte> Transpose => Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

    /// <summary>[Σ w·x over elements 0..3, 4..7, 8..11, 12..15], exact: the bytes are transposed so that element k of each
    /// group lands in the k-th quarter, widened, multiplied and the four quarters added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> GroupSums(Vector128<sbyte> w, Vector128<sbyte> x)
    {
        var wt = Vector128.Shuffle(w.AsByte(), Transpose).AsSByte();
        var xt = Vector128.Shuffle(x.AsByte(), Transpose).AsSByte();
        var low = Vector128.WidenLower(wt) * Vector128.WidenLower(xt);
        var high = Vector128.WidenUpper(wt) * Vector128.WidenUpper(xt);
        return (Vector128.WidenLower(low) + Vector128.WidenUpper(low)) + (Vector128.WidenLower(high) + Vector128.WidenUpper(high));
    }
}
