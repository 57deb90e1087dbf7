// Q8_0Mxfp4wMatMul with portable 128-bit vectors (any SIMD CPU, Arm included): the table lookup by nibble is
// Vector128.Shuffle, the integer group sums come from QuantMath128, and the 8 float lanes of each accumulator are held
// as two 4-lane vectors.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Mxfp4wMatMul
{
    private static void Vector128Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        int blocks = m.Blocks;
        var table = QuantMath.Mxfp4Values;
        var mask = Vector128.Create((byte)0x0F);
        var e8m0 = QuantMath.Mxfp4Scales;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            for (int i = first; i < first + count; i++)
            {
                sbyte* x = m.Quants(i);
                float* s = m.Scales(i);
                Vector128<float> evenLow = default, evenHigh = default, oddLow = default, oddHigh = default;
                int b = 0;
                for (; b + 1 < blocks; b += 2)
                {
                    byte* even = w + b * BlockBytes, odd = even + BlockBytes;
                    Block(ref evenLow, ref evenHigh, even, x + b * 32, s[b] * e8m0[even[0]], table, mask);
                    Block(ref oddLow, ref oddHigh, odd, x + b * 32 + 32, s[b + 1] * e8m0[odd[0]], table, mask);
                }
                Finish(m, i, r, QuantMath.Sum(evenLow + oddLow, evenHigh + oddHigh), w, b, x, s);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Block(ref Vector128<float> low, ref Vector128<float> high, byte* block, sbyte* x, float d, Vector128<sbyte> table, Vector128<byte> mask)
        {
            var bits = Vector128.Load(block + 1);
            var w0 = Vector128.Shuffle(table, (bits & mask).AsSByte());
            var w1 = Vector128.Shuffle(table, (Vector128.ShiftRightLogical(bits, 4) & mask).AsSByte());
            var dv = Vector128.Create(d);
            low = Vector128.FusedMultiplyAdd(dv, Vector128.ConvertToSingle(QuantMath128.GroupSums(w0, Vector128.Load(x))), low);
            high = Vector128.FusedMultiplyAdd(dv, Vector128.ConvertToSingle(QuantMath128.GroupSums(w1, Vector128.Load(x + 16))), high);
        }
    }
}
