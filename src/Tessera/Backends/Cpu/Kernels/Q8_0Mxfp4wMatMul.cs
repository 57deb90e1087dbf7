// MXFP4 weights × Q8_0 activations (the gpt-oss experts; gpt-oss-facts.md §3.4, §3.5) in the arithmetic of llama.cpp's
// repacked mxfp4_8x8 kernels, which llama.cpp uses for MXFP4 experts on x86 (GgmlDot.Mxfp4Q8_0): per block the exact
// integer sum of its 32 products, then one float accumulator per output, acc = fma(sum, d_w·d_x, acc), block by block.
// Nibbles become ggml's doubled E2M1 values by a 16-entry table lookup (vpshufb). The vector paths keep a separate
// accumulator per output row in each float lane, so every path gives the bits of the scalar reference.

namespace Tessera.Backends.Cpu;

/// <summary>Integer mat-mul of MXFP4 weight rows with Q8_0 activations.</summary>
internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    /// <summary>Bytes per 32-value block: the E8M0 exponent, then 16 bytes of nibbles.</summary>
    public const int BlockBytes = 17;

    /// <summary>Computes weight rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) against every activation row of
    /// <paramref name="m"/>.</summary>
    public static void Rows(CpuIsa isa, in QuantMatMul m, int rowStart, int rowEnd) => QuantKernel.Rows<Strategies>(isa, m, rowStart, rowEnd);

    private struct Strategies : IQuantKernel
    {
        public static void Scalar(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) =>
            QuantKernel.Scalar(m, rowStart, rowEnd, first, count, BlockBytes, &Q8_0Activations.DecodeMxfp4, &GgmlDot.Mxfp4Q8_0);
        public static void Vector128(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => Vector128Tile(m, rowStart, rowEnd, first, count);
        public static void Avx2(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => QuantKernel.ForTile<Avx2Loop>(m, rowStart, rowEnd, first, count);
        public static void AvxVnni(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => QuantKernel.ForTile<VnniLoop>(m, rowStart, rowEnd, first, count);
        public static void Avx512(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => Avx512Tile(m, rowStart, rowEnd, first, count);
    }
}
