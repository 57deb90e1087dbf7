// MXFP4 weights × Q8_0 activations (the gpt-oss experts; gpt-oss-facts.md §3.4, §3.5): ggml_vec_dot_mxfp4_q8_0 for every
// weight row and activation row of a QuantMatMul. Nibbles become ggml's doubled E2M1 values by a 16-entry table lookup
// (vpshufb), the integer products of each 4-value group are summed exactly, and each block adds d_x·2^(e−128) times
// those sums to 8 float lanes, even blocks and odd blocks in two accumulators; a last odd block is added in scalar code
// after the reduction. Every ISA path keeps that order, so all give the bits of the scalar reference (GgmlDot).

using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Integer mat-mul of MXFP4 weight rows with Q8_0 activations.</summary>
internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    /// <summary>Bytes per 32-value block: the E8M0 exponent, then 16 bytes of nibbles.</summary>
    public const int BlockBytes = 17;

    /// <summary>Computes weight rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) against every activation row of
    /// <paramref name="m"/>.</summary>
    public static void Rows(CpuIsa isa, in QuantMatMul m, int rowStart, int rowEnd)
    {
        for (int i = 0; i < m.Count; i += QuantMatMul.Tile)
        {
            int n = Math.Min(QuantMatMul.Tile, m.Count - i);
            switch (isa)
            {
                case CpuIsa.Scalar: Scalar(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Vector128: Vector128Tile(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Avx2: Avx2Tile(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.AvxVnni: AvxVnniTile(m, rowStart, rowEnd, i, n); break;
                case CpuIsa.Avx512: Avx512Tile(m, rowStart, rowEnd, i, n); break;
                default: throw new ArgumentOutOfRangeException(nameof(isa));
            }
        }
    }

    private static void Scalar(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        int blocks = m.Blocks;
        var quants = new sbyte[blocks * 32];
        var scales = new float[blocks];
        for (int r = rowStart; r < rowEnd; r++)
        {
            Q8_0Activations.DecodeMxfp4(new ReadOnlySpan<byte>(m.Row(r), blocks * BlockBytes), quants, scales);
            var w = new GgmlDot.QuantRow(quants, scales);
            for (int i = first; i < first + count; i++)
                m.Output(i)[r] = GgmlDot.Mxfp4Q8_0(w, new GgmlDot.QuantRow(new ReadOnlySpan<sbyte>(m.Quants(i), blocks * 32), new ReadOnlySpan<float>(m.Scales(i), blocks)));
        }
    }

    // The exact integer dot of one block's 32 weights (decoded) with 32 activation quants: the odd block left at the end.
    private static int BlockTotal(byte* block, sbyte* x)
    {
        var values = Mxfp4Format.Values;
        int total = 0;
        for (int j = 0; j < 16; j++)
            total += values[block[1 + j] & 0xF] * x[j] + values[block[1 + j] >> 4] * x[j + 16];
        return total;
    }
}
