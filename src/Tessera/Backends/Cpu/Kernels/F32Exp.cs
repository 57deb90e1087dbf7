// e^x for the fast attention path's softmax, in vectors: Cephes' expf (range reduction x = n·ln 2 + r with ln 2 split in
// two, a degree-7 polynomial in r, 2^n built in the exponent bits), about 1 ulp from the true value. Every step is an
// exactly rounded operation (FMA, add, multiply, integer shift), so the scalar twin gives the vectors' bits lane for lane
// at every width; e^0 is exactly 1 and e^x is exactly 0 below −87.3 (so a masked score, −∞, weighs nothing).
// Valid for x ≤ 88 (larger x give e^88); attention calls it on differences to a running maximum, always ≤ 0.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>A fast e^x, scalar and per vector width, identical bits on every path.</summary>
internal static class F32Exp
{
    private const float Log2E = 1.44269504088896341f;
    private const float RoundingShift = 12582912f;          // 1.5·2^23: x + it rounds x to an integer, nearest even
    private const float Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private const float Lowest = -87.3f, Highest = 88f;
    private const int One = 0x3F80_0000;                    // bits of 1.0f: 127 << 23

    /// <summary>The scalar reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (x < Lowest) return 0;
        x = x < Highest ? x : Highest;
        float t = MathF.FusedMultiplyAdd(x, Log2E, RoundingShift);
        float n = t - RoundingShift;
        float r = MathF.FusedMultiplyAdd(n, -Ln2High, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Low, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1;
        return y * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t) << 23) + One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var low = Vector128.LessThan(x, Vector128.Create(Lowest));
        x = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(Highest)), x, Vector128.Create(Highest));
        var t = Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(RoundingShift));
        var n = t - Vector128.Create(RoundingShift);
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2High), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Low), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(P0), r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P5));
        var y = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128.Create(1f);
        var scale = (Vector128.ShiftLeft(t.AsInt32(), 23) + Vector128.Create(One)).AsSingle();
        return Vector128.AndNot(y * scale, low);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var low = Vector256.LessThan(x, Vector256.Create(Lowest));
        x = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Highest)), x, Vector256.Create(Highest));
        var t = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(RoundingShift));
        var n = t - Vector256.Create(RoundingShift);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256.Create(1f);
        var scale = (Vector256.ShiftLeft(t.AsInt32(), 23) + Vector256.Create(One)).AsSingle();
        return Vector256.AndNot(y * scale, low);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var low = Vector512.LessThan(x, Vector512.Create(Lowest));
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(Highest)), x, Vector512.Create(Highest));
        var t = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(RoundingShift));
        var n = t - Vector512.Create(RoundingShift);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512.Create(1f);
        var scale = (Vector512.ShiftLeft(t.AsInt32(), 23) + Vector512.Create(One)).AsSingle();
        return Vector512.AndNot(y * scale, low);
    }
}
