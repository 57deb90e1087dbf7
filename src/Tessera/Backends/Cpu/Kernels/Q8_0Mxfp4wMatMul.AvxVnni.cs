// Q8_0Mxfp4wMatMul with AVX-VNNI: one vpdpbusd per block and activation row. vpdpbusd multiplies unsigned by signed
// bytes, so the weights are decoded straight to kvalues + 12 (a second 16-entry table) and the sum starts from the
// activation's −12·Σx per 4-value group (Q8_0Rows): Σ(w + 12)·x − 12·Σx = Σw·x, exact in 32-bit integers.

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void AvxVnniTile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        switch (count)
        {
            case 1: OffsetRows<Tile1, VnniDot>(m, rowStart, rowEnd, first); break;
            case 2: OffsetRows<Tile2, VnniDot>(m, rowStart, rowEnd, first); break;
            case 3: OffsetRows<Tile3, VnniDot>(m, rowStart, rowEnd, first); break;
            default: OffsetRows<Tile4, VnniDot>(m, rowStart, rowEnd, first); break;
        }
    }

    private struct VnniDot : IOffsetDot
    {
        public static Vector256<float> Block(Vector256<float> acc, Vector256<byte> w, sbyte* x, int* start, float d) => QuantMath.VnniBlock(acc, w, x, start, d);
    }
}
