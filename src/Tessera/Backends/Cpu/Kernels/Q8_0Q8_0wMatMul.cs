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
    public static void Rows(CpuIsa isa, in QuantMatMul m, int rowStart, int rowEnd) => QuantKernel.Rows<Strategies>(isa, m, rowStart, rowEnd);

    private struct Strategies : IQuantKernel
    {
        public static void Scalar(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) =>
            QuantKernel.Scalar(m, rowStart, rowEnd, first, count, BlockBytes, &Q8_0Activations.DecodeQ8_0, &GgmlDot.Q8_0Q8_0);
        public static void Vector128(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => Vector128Tile(m, rowStart, rowEnd, first, count);
        public static void Avx2(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => QuantKernel.ForTile<Avx2Loop>(m, rowStart, rowEnd, first, count);
        public static void AvxVnni(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => QuantKernel.ForTile<VnniLoop>(m, rowStart, rowEnd, first, count);
        public static void Avx512(in QuantMatMul m, int rowStart, int rowEnd, int first, int count) => Avx512Tile(m, rowStart, rowEnd, first, count);
    }
}
