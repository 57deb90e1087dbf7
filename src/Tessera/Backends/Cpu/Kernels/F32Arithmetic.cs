// The element-wise float arithmetic of the forward pass (ggml_add for biases and residuals; ggml_mul and ggml_add for the
// weighted sum of expert outputs), with each result rounded once per operation as ggml's scalar code does: no FMA where
// ggml has none. Element-wise vector arithmetic is exact, so every path gives the same bits.

namespace Tessera.Backends.Cpu;

/// <summary>x += y, x = y·w and x += y·w over float rows, per instruction-set strategy.</summary>
internal static unsafe class F32Arithmetic
{
    private enum Op { Add, Scale, AddScaled }

    /// <summary>x[i] += y[i].</summary>
    public static void Add(CpuIsa isa, Span<float> x, ReadOnlySpan<float> y) => Run(isa, Op.Add, x, y, 0);

    /// <summary>x[i] = y[i]·w.</summary>
    public static void Scale(CpuIsa isa, Span<float> x, ReadOnlySpan<float> y, float w) => Run(isa, Op.Scale, x, y, w);

    /// <summary>x[i] += y[i]·w (the product rounded, then the sum).</summary>
    public static void AddScaled(CpuIsa isa, Span<float> x, ReadOnlySpan<float> y, float w) => Run(isa, Op.AddScaled, x, y, w);

    private static void Run(CpuIsa isa, Op op, Span<float> x, ReadOnlySpan<float> y, float w)
    {
        if (y.Length != x.Length) throw new ArgumentException("rows differ in length");
        fixed (float* px = x, py = y)
        {
            int done = isa switch
            {
                CpuIsa.Scalar => 0,
                CpuIsa.Vector128 => Simd<V128>(op, px, py, w, x.Length),
                CpuIsa.Avx512 => Simd<V512>(op, px, py, w, x.Length),
                _ => Simd<V256>(op, px, py, w, x.Length),
            };
            for (int i = done; i < x.Length; i++)
                px[i] = op switch { Op.Add => px[i] + py[i], Op.Scale => py[i] * w, _ => px[i] + py[i] * w };
        }
    }

    private static int Simd<V>(Op op, float* x, float* y, float w, int n) where V : struct, ISimdFloat<V>
    {
        int end = n - n % V.Count;
        var wv = V.Splat(w);
        for (int i = 0; i < end; i += V.Count)
        {
            var r = op switch
            {
                Op.Add => V.Add(V.Load(x + i), V.Load(y + i)),
                Op.Scale => V.Multiply(V.Load(y + i), wv),
                _ => V.Add(V.Load(x + i), V.Multiply(V.Load(y + i), wv)),
            };
            V.Store(r, x + i);
        }
        return end;
    }
}
