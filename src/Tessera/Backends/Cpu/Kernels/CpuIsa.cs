// The instruction-set strategies of the CPU kernels, one class per strategy per kernel family (partial files
// Kernel.Vector128.cs, Kernel.Avx2.cs, ...), as nietras/Sep does. The best strategy the machine and the runtime allow is
// chosen once; TESSERA_CPU_ISA=scalar|vector128|avx2|avxvnni|avx512 forces one (tests force each in turn), and the
// runtime's own switches still apply (DOTNET_EnableAVX512=0 hides AVX-512, as on a laptop such as the i7-14650HX; in
// .NET 10 that is the switch: the older DOTNET_EnableAVX512F=0 no longer has any effect).
// Every strategy gives the same bits as the scalar reference: the SIMD paths keep ggml's lanes and summation order.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Backends.Cpu;

/// <summary>An instruction-set strategy of the CPU kernels, from the plain reference to the widest vectors.</summary>
public enum CpuIsa
{
    /// <summary>Plain C#: the reference every other path must match bit for bit.</summary>
    Scalar,

    /// <summary>Portable 128-bit vectors (System.Runtime.Intrinsics.Vector128): any CPU with SIMD, x86 or Arm.</summary>
    Vector128,

    /// <summary>x86 AVX2 and FMA: 256-bit vectors, integer dots with vpmaddubsw/vpmaddwd.</summary>
    Avx2,

    /// <summary>AVX2 with AVX-VNNI: integer dots with vpdpbusd (Alder Lake and later, e.g. the i7-14650HX).</summary>
    AvxVnni,

    /// <summary>AVX-512 (F, BW, VL): 512-bit vectors; 256-bit AVX-VNNI dots where the CPU has them.</summary>
    Avx512,
}

/// <summary>Which <see cref="CpuIsa"/> strategies this machine runs, and the one the kernels use.</summary>
public static class CpuIsaSupport
{
    /// <summary>The environment variable that forces a strategy.</summary>
    public const string EnvironmentVariable = "TESSERA_CPU_ISA";

    private static readonly Lazy<CpuIsa> Chosen = new(() => FromEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The strategy the CPU backend uses by default: <see cref="EnvironmentVariable"/> if set, else <see cref="Best"/>.</summary>
    public static CpuIsa Default => Chosen.Value;

    /// <summary>The widest strategy this machine and runtime support.</summary>
    public static CpuIsa Best =>
        IsSupported(CpuIsa.Avx512) ? CpuIsa.Avx512
        : IsSupported(CpuIsa.AvxVnni) ? CpuIsa.AvxVnni
        : IsSupported(CpuIsa.Avx2) ? CpuIsa.Avx2
        : IsSupported(CpuIsa.Vector128) ? CpuIsa.Vector128
        : CpuIsa.Scalar;

    /// <summary>Whether <paramref name="isa"/> can run here.</summary>
    public static bool IsSupported(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => true,
        CpuIsa.Vector128 => System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated,
        CpuIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.AvxVnni => Avx2.IsSupported && Fma.IsSupported && System.Runtime.Intrinsics.X86.AvxVnni.IsSupported,
        CpuIsa.Avx512 => Avx2.IsSupported && Fma.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported
            && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Every strategy this machine supports, narrowest first.</summary>
    public static IReadOnlyList<CpuIsa> Supported { get; } = Enum.GetValues<CpuIsa>().Where(IsSupported).ToArray();

    /// <summary>Whether the AVX-512 strategy may use 256-bit AVX-VNNI dots (the CPU has them).</summary>
    internal static bool HasAvxVnni => System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;

    /// <summary>The strategy named by <paramref name="value"/> (case-insensitive), or <see cref="Best"/> when empty.</summary>
    /// <exception cref="NotSupportedException">The name is unknown or the machine cannot run it.</exception>
    public static CpuIsa FromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return Best;
        if (!Enum.TryParse<CpuIsa>(value.Trim(), ignoreCase: true, out var isa) || !Enum.IsDefined(isa))
            throw new NotSupportedException($"{EnvironmentVariable}={value} is not one of scalar, vector128, avx2, avxvnni, avx512");
        if (!IsSupported(isa))
            throw new NotSupportedException($"{EnvironmentVariable}={value}: this CPU or runtime does not support it (supported: {string.Join(", ", Supported).ToLowerInvariant()})");
        return isa;
    }

    /// <summary>Throws unless <paramref name="isa"/> runs here.</summary>
    internal static void Require(CpuIsa isa)
    {
        if (!IsSupported(isa))
            throw new NotSupportedException($"the {isa} kernels cannot run on this CPU or runtime");
    }
}
