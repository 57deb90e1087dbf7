// Q8_0Mxfp4wMatMul with AVX-VNNI: the AVX2 loop (Q8_0Mxfp4wMatMul.Avx2.cs) with vpdpbusd for the integer dots of the
// unsigned weights (kvalues + 12) and the signed activation quants.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private struct VnniLoop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => Rows8<T, VnniDot>(m, rowStart, rowEnd, first);
    }

    private struct VnniDot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Pair(Vector256<byte> low, Vector256<byte> high, Vector256<sbyte> xLow, Vector256<sbyte> xHigh) =>
            System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(
                System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, low, xLow), high, xHigh);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Row(Vector256<byte> w, Vector256<sbyte> x) =>
            System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w, x);
    }
}
