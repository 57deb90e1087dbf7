// Q8_0Mxfp4wMatMul with portable 128-bit vectors (any SIMD CPU, Arm included): the table lookup by nibble is
// Vector128.Shuffle, the integer sums come from QuantMath128 and are added up per block, then the scalar FMA chain.

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Vector128Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        var table = QuantMath.Mxfp4Values;
        var mask = Vector128.Create((byte)0x0F);
        float* e8m0 = QuantMath.Mxfp4ScalesPointer;
        for (int r = rowStart; r < rowEnd; r++)
        {
            for (int i = first; i < first + count; i++)
            {
                byte* w = m.Row(r);
                sbyte* x = m.Quants(i);
                float* s = m.Scales(i);
                float acc = 0;
                for (int b = 0; b < m.Blocks; b++, w += BlockBytes, x += 32)
                {
                    var bits = Vector128.Load(w + 1);
                    var low = Vector128.Shuffle(table, (bits & mask).AsSByte());
                    var high = Vector128.Shuffle(table, (Vector128.ShiftRightLogical(bits, 4) & mask).AsSByte());
                    int sum = Vector128.Sum(QuantMath128.GroupSums(low, Vector128.Load(x)) + QuantMath128.GroupSums(high, Vector128.Load(x + 16)));
                    acc = MathF.FusedMultiplyAdd(sum, e8m0[w[0]] * s[b], acc);
                }
                m.Output(i)[r] = acc;
            }
        }
    }
}
