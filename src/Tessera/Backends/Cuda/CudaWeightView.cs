// A weight as the CUDA kernels see it: its type, where its values (and block scales) live on the device, and its shape.
// Layouts are those of Kernels/common.cuh: Q8_0 and MXFP4 are repacked on upload into a value array and a scale array so
// that each thread reads 16 aligned bytes at a time.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

/// <summary>A device weight: type, value and scale arrays, row length K, rows per slice R, slices (experts).</summary>
/// <param name="Type">F32, F16, Q8_0 or MXFP4.</param>
/// <param name="Values">F32/F16 values, Q8_0 int8 values, or MXFP4 packed nibbles.</param>
/// <param name="Scales">Q8_0 half scales or MXFP4 E8M0 exponents, one per 32 values; 0 for F32 and F16.</param>
/// <param name="K">Values per row (the input width).</param>
/// <param name="R">Rows per slice (the output width).</param>
/// <param name="Slices">Experts (1 for a plain matrix).</param>
public readonly record struct CudaWeightView(GgmlType Type, ulong Values, ulong Scales, int K, int R, int Slices);

/// <summary>The launchers of Tessera's CUDA kernels, one method per operation; each picks its kernel and launch shape.</summary>
internal sealed partial class CudaKernels(CudaContext context)
{
    private CudaFunction F(string module, string name) => context.Function(module, name);
}
