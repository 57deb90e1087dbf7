// llama.cpp's own ggml as the oracle for the block formats: libggml-base from LLamaSharp.Backend.Cpu, whose exported
// dequantize_row_*, quantize_row_*_ref and fp16/bf16 converters run on the same bytes as Tessera's. The portable no-AVX
// build is used: compiled without F16C or FMA contraction, it is the plain C that the references are written in.

using System.Runtime.InteropServices;
using Tessera.Quants;

namespace Tessera.Tests.Quants;

internal static unsafe class GgmlOracle
{
    private static readonly Lazy<nint> Library = new(Load);

    /// <summary>Skips the calling test when the native library cannot be loaded here (it ships for linux-x64 only in this setup).</summary>
    public static void RequireAvailable()
    {
        if (Library.Value == 0)
            Assert.Skip("ggml oracle (runtimes/linux-x64/native/noavx/libggml-base.so) is not loadable on this machine");
    }

    public static void DequantizeRow(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        var fn = (delegate* unmanaged<byte*, float*, long, void>)Export(type switch
        {
            GgmlType.F16 => "ggml_fp16_to_fp32_row",
            GgmlType.BF16 => "ggml_bf16_to_fp32_row",
            _ => "dequantize_row_" + Suffix(type),
        });
        fixed (byte* s = src)
        fixed (float* d = dst)
            fn(s, d, dst.Length);
    }

    public static void QuantizeRow(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        var fn = (delegate* unmanaged<float*, byte*, long, void>)Export(type switch
        {
            GgmlType.F16 => "ggml_fp32_to_fp16_row",
            GgmlType.BF16 => "ggml_fp32_to_bf16_row_ref",
            _ => "quantize_row_" + Suffix(type) + "_ref",
        });
        fixed (float* s = src)
        fixed (byte* d = dst)
            fn(s, d, src.Length);
    }

    public static float Fp16ToFp32(ushort bits) => ((delegate* unmanaged<ushort, float>)Export("ggml_fp16_to_fp32"))(bits);

    /// <summary>ggml-base's software conversion: round to nearest even, but any NaN becomes 0x7E00 (F16C keeps the payload).</summary>
    public static ushort Fp32ToFp16(float value) => ((delegate* unmanaged<float, ushort>)Export("ggml_fp32_to_fp16"))(value);

    // ggml_bf16_t is a one-field struct of uint16_t, passed and returned in a register like the integer.
    public static ushort Fp32ToBf16(float value) => ((delegate* unmanaged<float, ushort>)Export("ggml_fp32_to_bf16"))(value);

    // ggml's function names spell the type in lower case except the K of the K-quants: q4_0, q4_K, mxfp4.
    private static string Suffix(GgmlType type) => type == GgmlType.MXFP4 ? "mxfp4" : "q" + type.ToString()[1..];

    private static nint Export(string name)
    {
        RequireAvailable();
        return NativeLibrary.GetExport(Library.Value, name);
    }

    private static nint Load()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return 0;
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "noavx", "libggml-base.so");
        return NativeLibrary.TryLoad(path, out nint handle) ? handle : 0;
    }
}
