// Q8_0 weights × Q8_0 activations (gpt-oss attention, router-free dense layers and the output head; gpt-oss-facts.md
// §3.5): ggml_vec_dot_q8_0_q8_0 / tinyBLAS_Q0_AVX for every weight row and activation row of a QuantMatMul. Each block
// adds d_w·d_x times its 4-value integer group sums to one accumulator of 8 float lanes, reduced as hsum_float_8. Every
// ISA path keeps that order, so all give the bits of the scalar reference (GgmlDot).

namespace Tessera.Backends.Cpu;

/// <summary>Integer mat-mul of Q8_0 weight rows with Q8_0 activations.</summary>
internal static unsafe partial class Q8_0Q8_0wMatMul
{
    /// <summary>Bytes per 32-value block: the F16 scale, then 32 int8 quants.</summary>
    public const int BlockBytes = 34;

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
            Q8_0Activations.DecodeQ8_0(new ReadOnlySpan<byte>(m.Row(r), blocks * BlockBytes), quants, scales);
            var w = new GgmlDot.QuantRow(quants, scales);
            for (int i = first; i < first + count; i++)
                m.Output(i)[r] = GgmlDot.Q8_0Q8_0(w, new GgmlDot.QuantRow(new ReadOnlySpan<sbyte>(m.Quants(i), blocks * 32), new ReadOnlySpan<float>(m.Scales(i), blocks)));
        }
    }
}
