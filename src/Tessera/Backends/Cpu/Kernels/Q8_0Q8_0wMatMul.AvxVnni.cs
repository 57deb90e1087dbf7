// Q8_0Q8_0wMatMul with AVX-VNNI: the AVX2 loop (Q8_0Q8_0wMatMul.Avx2.cs) with one vpdpbusd per block and activation
// row. The weight quants are made unsigned by flipping their sign bit (w + 128) once per weight block, and each sum
// starts from the activation's −128·Σx per 4-value group (Q8_0Rows): Σ(w + 128)·x − 128·Σx = Σw·x, exact in 32 bits.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private struct VnniLoop : ITileLoop
    {
        public static void Rows<T>(in QuantMatMul m, int rowStart, int rowEnd, int first) where T : struct, ITile => Rows<T, VnniDot>(m, rowStart, rowEnd, first);
    }

    private struct VnniDot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<byte> A, Vector256<sbyte> B) Prepare(byte* quants) => (Avx.LoadVector256(quants) ^ Vector256.Create((byte)0x80), default);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Block(Vector256<float> acc, Vector256<byte> a, Vector256<sbyte> b, sbyte* x, int* start, float d) =>
            QuantMath.VnniBlock(acc, a, x, start, d);
    }
}
