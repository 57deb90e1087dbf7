// What ggml-cpu multiplies a weight row with: before a dot product it converts the F32 activations to the weight type's
// vec_dot_type (ggml-cpu.c type_traits_cpu; gpt-oss-facts.md §3.5): Q8_0 for MXFP4 and the 32-value legacy quants, Q8_K for
// K-quants, F16 for F16, BF16 for BF16. Replacing each activation by its value after that round trip gives the same products
// as ggml's integer dot, so a plain float dot over dequantised weights matches llama.cpp to float rounding (CpuMatMul uses
// this for the types GgmlDot does not reproduce exactly).

using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Rounds activations the way ggml-cpu quantises them for a dot product with a given weight type.</summary>
internal static class ActivationRounding
{
    /// <summary>ggml's vec_dot_type of <paramref name="weightType"/>: the format the activations are converted to.</summary>
    public static GgmlType DotType(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 => GgmlType.F32,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.MXFP4 or GgmlType.IQ4_NL => GgmlType.Q8_0,
        // Q8_1 holds the same quants as Q8_0 (plus a sum that only the offset term uses).
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_XS => GgmlType.Q8_K,
        _ => GgmlType.F32,
    };

    /// <summary>Replaces every value of <paramref name="row"/> by its value in <paramref name="dotType"/>.</summary>
    public static void Apply(GgmlType dotType, Span<float> row)
    {
        switch (dotType)
        {
            case GgmlType.F32:
                break;
            case GgmlType.F16:
                foreach (ref var v in row) v = (float)(Half)v;
                break;
            case GgmlType.BF16:
                foreach (ref var v in row) v = Bf16.ToSingle(Bf16.FromSingle(v));
                break;
            case GgmlType.Q8_0 or GgmlType.Q8_1:
            {
                var quants = new sbyte[row.Length];
                var scales = new float[row.Length / 32];
                Q8_0Activations.Quantize(row, quants, scales);
                for (int i = 0; i < row.Length; i++) row[i] = scales[i / 32] * quants[i];
                break;
            }
            case GgmlType.Q8_K:
            {
                var format = BlockFormats.Get(GgmlType.Q8_K);
                var bytes = new byte[row.Length / format.BlockSize * format.BytesPerBlock];
                format.Quantize(row, bytes);
                format.DequantizeRow(bytes, row);
                break;
            }
            default:
                throw new NotSupportedException($"activations cannot be rounded to {dotType}");
        }
    }
}
