// Exact F16 <-> F32 conversions on vectors with integer and float operations only (.NET exposes no F16C instructions).
// Widen: a half's exponent and mantissa shifted into a float and scaled by 2^112 give its value exactly, subnormals
// included; infinities and NaNs (kept quiet with their payload, as vcvtph2ps does) are patched in. Narrow: Maratyszcza's
// FP16 method (fp16_ieee_from_fp32_value): the float arithmetic itself rounds to nearest even at the half's precision,
// as vcvtps2ph and System.Half do; NaNs become quiet NaNs with the top ten payload bits. Tests sweep every half and
// random and boundary floats against System.Half.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>Half-precision bit patterns (in the low 16 bits of each 32-bit lane) to and from floats, exactly.</summary>
internal static class HalfBits
{
    private const uint ExponentMantissa = 0x7FFF, Infinity = 0x7C00, FloatExponent = 0x7F80_0000, FloatQuiet = 0x0040_0000;
    // 2^112 (float exponent 239) and 2^-110 (exponent 17).
    private static readonly float ScaleToFloat = BitConverter.UInt32BitsToSingle(0x7780_0000), ScaleToInfinity = ScaleToFloat,
        ScaleToZero = BitConverter.UInt32BitsToSingle(0x0880_0000);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widen(Vector128<uint> h)
    {
        var em = h & Vector128.Create(ExponentMantissa);
        var finite = (Vector128.ShiftLeft(em, 13).AsSingle() * Vector128.Create(ScaleToFloat)).AsUInt32();
        var special = Vector128.ShiftLeft(em, 13) | Vector128.Create(FloatExponent)
            | (Vector128.GreaterThan(em, Vector128.Create(Infinity)) & Vector128.Create(FloatQuiet));
        var bits = Vector128.ConditionalSelect(Vector128.GreaterThan(em, Vector128.Create(Infinity - 1)), special, finite);
        return (bits | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen(Vector256<uint> h)
    {
        var em = h & Vector256.Create(ExponentMantissa);
        var finite = (Vector256.ShiftLeft(em, 13).AsSingle() * Vector256.Create(ScaleToFloat)).AsUInt32();
        var special = Vector256.ShiftLeft(em, 13) | Vector256.Create(FloatExponent)
            | (Vector256.GreaterThan(em, Vector256.Create(Infinity)) & Vector256.Create(FloatQuiet));
        var bits = Vector256.ConditionalSelect(Vector256.GreaterThan(em, Vector256.Create(Infinity - 1)), special, finite);
        return (bits | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<uint> h)
    {
        var em = h & Vector512.Create(ExponentMantissa);
        var finite = (Vector512.ShiftLeft(em, 13).AsSingle() * Vector512.Create(ScaleToFloat)).AsUInt32();
        var special = Vector512.ShiftLeft(em, 13) | Vector512.Create(FloatExponent)
            | (Vector512.GreaterThan(em, Vector512.Create(Infinity)) & Vector512.Create(FloatQuiet));
        var bits = Vector512.ConditionalSelect(Vector512.GreaterThan(em, Vector512.Create(Infinity - 1)), special, finite);
        return (bits | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
    }

    // WidenFinite: exact for every finite half, in three operations. The half's bits sign-extended to 32 and shifted left
    // by 13 hold its sign in bit 31 and its exponent and mantissa in bits 27..13 once bits 30..28 (sign copies) are cleared;
    // that float times 2^112 is the half's value, subnormals included. An infinity or NaN comes out finite (|x| ≥ 65536):
    // callers check the halves' magnitudes and widen such rows again with Widen.
    private const int SignExponentMantissa = unchecked((int)0x8FFF_E000);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WidenFinite(Vector128<int> h) =>
        (Vector128.ShiftLeft(h, 13) & Vector128.Create(SignExponentMantissa)).AsSingle() * Vector128.Create(ScaleToFloat);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenFinite(Vector256<int> h) =>
        (Vector256.ShiftLeft(h, 13) & Vector256.Create(SignExponentMantissa)).AsSingle() * Vector256.Create(ScaleToFloat);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenFinite(Vector512<int> h) =>
        (Vector512.ShiftLeft(h, 13) & Vector512.Create(SignExponentMantissa)).AsSingle() * Vector512.Create(ScaleToFloat);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Narrow(Vector128<float> f)
    {
        var w = f.AsUInt32();
        var twice = w + w;
        var rounded = (Vector128.Abs(f) * Vector128.Create(ScaleToInfinity)) * Vector128.Create(ScaleToZero);
        var bias = Vector128.Max(twice & Vector128.Create(0xFF00_0000u), Vector128.Create(0x7100_0000u));
        var bits = ((Vector128.ShiftRightLogical(bias, 1) + Vector128.Create(0x0780_0000u)).AsSingle() + rounded).AsUInt32();
        var finite = (Vector128.ShiftRightLogical(bits, 13) & Vector128.Create(0x7C00u)) + (bits & Vector128.Create(0x0FFFu));
        var nan = Vector128.Create(0x7E00u) | (Vector128.ShiftRightLogical(w, 13) & Vector128.Create(0x03FFu));
        var magnitude = Vector128.ConditionalSelect(Vector128.GreaterThan(twice, Vector128.Create(0xFF00_0000u)), nan, finite);
        return magnitude | Vector128.ShiftRightLogical(w & Vector128.Create(0x8000_0000u), 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Narrow(Vector256<float> f)
    {
        var w = f.AsUInt32();
        var twice = w + w;
        var rounded = (Vector256.Abs(f) * Vector256.Create(ScaleToInfinity)) * Vector256.Create(ScaleToZero);
        var bias = Vector256.Max(twice & Vector256.Create(0xFF00_0000u), Vector256.Create(0x7100_0000u));
        var bits = ((Vector256.ShiftRightLogical(bias, 1) + Vector256.Create(0x0780_0000u)).AsSingle() + rounded).AsUInt32();
        var finite = (Vector256.ShiftRightLogical(bits, 13) & Vector256.Create(0x7C00u)) + (bits & Vector256.Create(0x0FFFu));
        var nan = Vector256.Create(0x7E00u) | (Vector256.ShiftRightLogical(w, 13) & Vector256.Create(0x03FFu));
        var magnitude = Vector256.ConditionalSelect(Vector256.GreaterThan(twice, Vector256.Create(0xFF00_0000u)), nan, finite);
        return magnitude | Vector256.ShiftRightLogical(w & Vector256.Create(0x8000_0000u), 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Narrow(Vector512<float> f)
    {
        var w = f.AsUInt32();
        var twice = w + w;
        var rounded = (Vector512.Abs(f) * Vector512.Create(ScaleToInfinity)) * Vector512.Create(ScaleToZero);
        var bias = Vector512.Max(twice & Vector512.Create(0xFF00_0000u), Vector512.Create(0x7100_0000u));
        var bits = ((Vector512.ShiftRightLogical(bias, 1) + Vector512.Create(0x0780_0000u)).AsSingle() + rounded).AsUInt32();
        var finite = (Vector512.ShiftRightLogical(bits, 13) & Vector512.Create(0x7C00u)) + (bits & Vector512.Create(0x0FFFu));
        var nan = Vector512.Create(0x7E00u) | (Vector512.ShiftRightLogical(w, 13) & Vector512.Create(0x03FFu));
        var magnitude = Vector512.ConditionalSelect(Vector512.GreaterThan(twice, Vector512.Create(0xFF00_0000u)), nan, finite);
        return magnitude | Vector512.ShiftRightLogical(w & Vector512.Create(0x8000_0000u), 16);
    }

    /// <summary>The float value of one half (scalar twin of <see cref="Widen(Vector128{uint})"/>, for block scales).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h)
    {
        uint em = h & ExponentMantissa;
        uint bits = em >= Infinity
            ? (em << 13) | FloatExponent | (em > Infinity ? FloatQuiet : 0)
            : BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(em << 13) * ScaleToFloat);
        return BitConverter.UInt32BitsToSingle(bits | ((uint)(h & 0x8000) << 16));
    }
}
