// MXFP4 weights × Q8_0 activations (the gpt-oss experts; gpt-oss-facts.md §3.4, §3.5) in the arithmetic of llama.cpp's
// repacked mxfp4_8x8 kernels, which llama.cpp uses for MXFP4 experts on x86 (GgmlDot.Mxfp4Q8_0): per block the exact
// integer sum of its 32 products, then one float accumulator per output, acc = fma(sum, d_w·d_x, acc), block by block.
// Nibbles become ggml's doubled E2M1 values by a 16-entry table lookup (vpshufb). The vector paths keep a separate
// accumulator per output row in each float lane, so every path gives the bits of the scalar reference.

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
}
