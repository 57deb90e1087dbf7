// Q8_0Q8_0wMatMul with portable 128-bit vectors (any SIMD CPU, Arm included): integer group sums from QuantMath128, the
// 8 float lanes of the accumulator held as two 4-lane vectors.

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

internal static unsafe partial class Q8_0Q8_0wMatMul
{
    private static void Vector128Tile(in QuantMatMul m, int rowStart, int rowEnd, int first, int count)
    {
        int blocks = m.Blocks;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = m.Row(r);
            for (int i = first; i < first + count; i++)
            {
                sbyte* x = m.Quants(i);
                float* s = m.Scales(i);
                Vector128<float> low = default, high = default;
                for (int b = 0; b < blocks; b++)
                {
                    byte* block = w + b * BlockBytes;
                    var d = Vector128.Create(QuantMath.Q8_0Scale(block) * s[b]);
                    var q = (sbyte*)(block + 2);
                    low = Vector128.FusedMultiplyAdd(d, Vector128.ConvertToSingle(QuantMath128.GroupSums(Vector128.Load(q), Vector128.Load(x + b * 32))), low);
                    high = Vector128.FusedMultiplyAdd(d, Vector128.ConvertToSingle(QuantMath128.GroupSums(Vector128.Load(q + 16), Vector128.Load(x + b * 32 + 16))), high);
                }
                m.Output(i)[r] = QuantMath.Sum(low, high);
            }
        }
    }
}
