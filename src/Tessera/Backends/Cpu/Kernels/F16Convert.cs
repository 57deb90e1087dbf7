// F32 <-> F16 rows (KV cache writes and reads), exact in both directions on every path (HalfBits; System.Half's rules,
// which are vcvtps2ph's and vcvtph2ps's).

namespace Tessera.Backends.Cpu;

/// <summary>Row conversions between floats and halves, per instruction-set strategy.</summary>
internal static unsafe class F16Convert
{
    /// <summary>destination[i] = (Half)source[i], nearest even.</summary>
    public static void Narrow(CpuIsa isa, ReadOnlySpan<float> source, Span<Half> destination)
    {
        fixed (float* s = source)
        fixed (Half* d = destination)
        {
            int n = source.Length, i = isa switch
            {
                CpuIsa.Scalar => 0,
                CpuIsa.Vector128 => Narrow<V128>(s, (ushort*)d, n),
                CpuIsa.Avx512 => Narrow<V512>(s, (ushort*)d, n),
                _ => Narrow<V256>(s, (ushort*)d, n),
            };
            for (; i < n; i++) d[i] = (Half)s[i];
        }
    }

    /// <summary>destination[i] = (float)source[i], exactly.</summary>
    public static void Widen(CpuIsa isa, ReadOnlySpan<Half> source, Span<float> destination)
    {
        fixed (Half* s = source)
        fixed (float* d = destination)
        {
            int n = source.Length, i = isa switch
            {
                CpuIsa.Scalar => 0,
                CpuIsa.Vector128 => Widen<V128>((ushort*)s, d, n),
                CpuIsa.Avx512 => Widen<V512>((ushort*)s, d, n),
                _ => Widen<V256>((ushort*)s, d, n),
            };
            for (; i < n; i++) d[i] = (float)s[i];
        }
    }

    private static int Narrow<V>(float* s, ushort* d, int n) where V : struct, ISimdFloat<V>
    {
        int end = n - n % V.Count;
        for (int i = 0; i < end; i += V.Count) V.StoreHalf(V.Load(s + i), d + i);
        return end;
    }

    private static int Widen<V>(ushort* s, float* d, int n) where V : struct, ISimdFloat<V>
    {
        int end = n - n % V.Count;
        for (int i = 0; i < end; i += V.Count) V.Store(V.LoadHalf(s + i), d + i);
        return end;
    }
}
