// F32 weights × F32 activations (the gpt-oss router, ffn_gate_inp): tinyBLAS<8, __m256> as GgmlDot.F32F32 reproduces
// it: 8 lanes, lane j takes elements j, j + 8, ... with FMA, reduced as hsum_float_8. Rows must hold a multiple of 8
// values. The 256-bit path serves AVX2, AVX-VNNI and AVX-512 alike (wider vectors would change the lanes).

using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>F32 mat-mul in ggml's 8-lane arithmetic, per instruction-set strategy.</summary>
internal static unsafe class F32F32wMatMul
{
    /// <summary>y[t·yStride + r] = W[r]·x[t] for rows [rowStart, rowEnd) of W (rows of n floats) and tokens [0, tokens).</summary>
    public static void Rows(CpuIsa isa, float* w, int n, float* x, int tokens, float* y, int yStride, int rowStart, int rowEnd)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* row = w + (long)r * n;
            for (int t = 0; t < tokens; t++)
            {
                float* xt = x + (long)t * n;
                y[(long)t * yStride + r] = isa switch
                {
                    CpuIsa.Scalar => GgmlDot.F32F32(new ReadOnlySpan<float>(row, n), new ReadOnlySpan<float>(xt, n)),
                    CpuIsa.Vector128 => Dot128(row, xt, n),
                    _ => Dot256(row, xt, n),
                };
            }
        }
    }

    private static float Dot128(float* w, float* x, int n)
    {
        Vector128<float> low = default, high = default;
        for (int i = 0; i < n; i += 8)
        {
            low = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), low);
            high = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), high);
        }
        return QuantMath.Sum(low, high);
    }

    private static float Dot256(float* w, float* x, int n)
    {
        Vector256<float> acc = default;
        for (int i = 0; i < n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), acc);
        return QuantMath.Sum(acc);
    }
}
