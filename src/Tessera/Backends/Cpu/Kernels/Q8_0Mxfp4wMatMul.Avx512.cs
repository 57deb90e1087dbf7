// Q8_0Mxfp4wMatMul under the AVX-512 strategy: the 256-bit loop, with AVX-VNNI where the CPU has it. .NET exposes no
// 512-bit vpdpbusd, and 512-bit vpmaddubsw/vpmaddwd plus the reduction of four rows per register measured no faster
// than 256-bit vpdpbusd (both about 17 instructions per 8 rows, block and activation row), so no 512-bit loop is kept.

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Avx512Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        if (CpuIsaSupport.HasAvxVnni) QuantKernel.ForTile<VnniLoop>(m, rowStart, rowEnd, first, count);
        else QuantKernel.ForTile<Avx2Loop>(m, rowStart, rowEnd, first, count);
    }
}
