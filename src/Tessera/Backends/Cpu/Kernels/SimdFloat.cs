// A float vector of any width behind one generic interface, so an element-wise kernel is written once and instantiated
// for 128-, 256- and 512-bit vectors (the way System.Numerics.Tensors' TensorPrimitives shares one loop between widths).
// The JIT specialises each struct instantiation and keeps the wrapped vector in a register. Only exactly rounded
// operations are offered (no estimates; Exp is F32Exp, built from exact operations), so a kernel written on it gives the
// same bits as its scalar reference.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Backends.Cpu;

/// <summary>Float vector operations shared by <see cref="V128"/>, <see cref="V256"/> and <see cref="V512"/>.</summary>
internal unsafe interface ISimdFloat<V> where V : struct, ISimdFloat<V>
{
    static abstract int Count { get; }
    static abstract V Load(float* p);
    static abstract void Store(V v, float* p);
    static abstract V Splat(float x);
    static abstract V Add(V a, V b);
    static abstract V Subtract(V a, V b);
    static abstract V Multiply(V a, V b);
    static abstract V Divide(V a, V b);
    static abstract V Min(V a, V b);
    static abstract V Max(V a, V b);
    static abstract V Negate(V a);

    /// <summary>a·b + c rounded once.</summary>
    static abstract V FusedMultiplyAdd(V a, V b, V c);

    /// <summary>Loads <see cref="Count"/> halves (bit patterns) and widens them exactly.</summary>
    static abstract V LoadHalf(ushort* p);

    /// <summary>Loads <see cref="Count"/> halves and widens them, exactly if none is infinite or NaN (HalfBits.WidenFinite);
    /// <paramref name="seen"/> keeps the largest magnitude bits seen, for <see cref="SeenInfinityOrNaN"/>.</summary>
    static abstract V LoadHalfFinite(ushort* p, ref V seen);

    /// <summary>Whether <see cref="LoadHalfFinite"/> has met an infinity or NaN since <paramref name="seen"/> was zero.</summary>
    static abstract bool SeenInfinityOrNaN(V seen);

    /// <summary>Rounds to half (nearest even, as vcvtps2ph) and stores the bit patterns.</summary>
    static abstract void StoreHalf(V v, ushort* p);

    /// <summary>Rounds each value to the nearest half and back (nearest even).</summary>
    static abstract V RoundToHalf(V v);

    /// <summary>F32Exp.Exp of each value.</summary>
    static abstract V Exp(V x);

    /// <summary>All ones where a ≤ b, else zero.</summary>
    static abstract V LessThanOrEqual(V a, V b);

    /// <summary>Bitwise a AND b.</summary>
    static abstract V And(V a, V b);

    /// <summary>Per bit: <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else <paramref name="ifFalse"/>.</summary>
    static abstract V Select(V mask, V ifTrue, V ifFalse);
}

internal readonly unsafe struct V128(Vector128<float> v) : ISimdFloat<V128>
{
    public readonly Vector128<float> Value = v;
    public static int Count => Vector128<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(float* p) => new(Vector128.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V128 v, float* p) => v.Value.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Splat(float x) => new(Vector128.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Add(V128 a, V128 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Subtract(V128 a, V128 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Multiply(V128 a, V128 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Divide(V128 a, V128 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Min(V128 a, V128 b) => new(Vector128.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Max(V128 a, V128 b) => new(Vector128.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Negate(V128 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 FusedMultiplyAdd(V128 a, V128 b, V128 c) => new(Vector128.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 LoadHalf(ushort* p) => new(HalfBits.Widen(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsUInt16())));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreHalf(V128 v, ushort* p) => *(ulong*)p = Vector128.Narrow(HalfBits.Narrow(v.Value), Vector128<uint>.Zero).AsUInt64().ToScalar();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 RoundToHalf(V128 v) => new(HalfBits.Widen(HalfBits.Narrow(v.Value)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 LoadHalfFinite(ushort* p, ref V128 seen)
    {
        var h = Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsInt16());
        seen = new(Vector128.Max(seen.Value.AsInt32(), h & Vector128.Create(0x7FFF)).AsSingle());
        return new(HalfBits.WidenFinite(h));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool SeenInfinityOrNaN(V128 seen) => Vector128.GreaterThanAny(seen.Value.AsInt32(), Vector128.Create(0x7BFF));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Exp(V128 x) => new(F32Exp.Exp(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 LessThanOrEqual(V128 a, V128 b) => new(Vector128.LessThanOrEqual(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 And(V128 a, V128 b) => new(a.Value & b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Select(V128 mask, V128 ifTrue, V128 ifFalse) => new(Vector128.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));
}

internal readonly unsafe struct V256(Vector256<float> v) : ISimdFloat<V256>
{
    public readonly Vector256<float> Value = v;
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v.Value.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Splat(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Add(V256 a, V256 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Subtract(V256 a, V256 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Multiply(V256 a, V256 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Divide(V256 a, V256 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Min(V256 a, V256 b) => new(Vector256.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Negate(V256 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 FusedMultiplyAdd(V256 a, V256 b, V256 c) => new(Vector256.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 LoadHalf(ushort* p) => new(HalfBits.Widen(Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()).AsUInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreHalf(V256 v, ushort* p) => Vector256.Narrow(HalfBits.Narrow(v.Value), Vector256<uint>.Zero).GetLower().Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 RoundToHalf(V256 v) => new(HalfBits.Widen(HalfBits.Narrow(v.Value)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 LoadHalfFinite(ushort* p, ref V256 seen)
    {
        var h = Vector256.WidenLower(Vector128.Load((short*)p).ToVector256Unsafe());
        seen = new(Vector256.Max(seen.Value.AsInt32(), h & Vector256.Create(0x7FFF)).AsSingle());
        return new(HalfBits.WidenFinite(h));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool SeenInfinityOrNaN(V256 seen) => Vector256.GreaterThanAny(seen.Value.AsInt32(), Vector256.Create(0x7BFF));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Exp(V256 x) => new(F32Exp.Exp(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 LessThanOrEqual(V256 a, V256 b) => new(Vector256.LessThanOrEqual(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 And(V256 a, V256 b) => new(a.Value & b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Select(V256 mask, V256 ifTrue, V256 ifFalse) => new(Vector256.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));
}

internal readonly unsafe struct V512(Vector512<float> v) : ISimdFloat<V512>
{
    public readonly Vector512<float> Value = v;
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v.Value.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Splat(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Add(V512 a, V512 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Subtract(V512 a, V512 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Multiply(V512 a, V512 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Divide(V512 a, V512 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Min(V512 a, V512 b) => new(Vector512.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Negate(V512 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 FusedMultiplyAdd(V512 a, V512 b, V512 c) => new(Vector512.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 LoadHalf(ushort* p) => new(HalfBits.Widen(Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()).AsUInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreHalf(V512 v, ushort* p) => Vector512.Narrow(HalfBits.Narrow(v.Value), Vector512<uint>.Zero).GetLower().Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 RoundToHalf(V512 v) => new(HalfBits.Widen(HalfBits.Narrow(v.Value)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 LoadHalfFinite(ushort* p, ref V512 seen)
    {
        var h = Vector512.WidenLower(Vector256.Load((short*)p).ToVector512Unsafe());
        seen = new(Vector512.Max(seen.Value.AsInt32(), h & Vector512.Create(0x7FFF)).AsSingle());
        return new(HalfBits.WidenFinite(h));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool SeenInfinityOrNaN(V512 seen) => Vector512.GreaterThanAny(seen.Value.AsInt32(), Vector512.Create(0x7BFF));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Exp(V512 x) => new(F32Exp.Exp(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 LessThanOrEqual(V512 a, V512 b) => new(Vector512.LessThanOrEqual(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 And(V512 a, V512 b) => new(a.Value & b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Select(V512 mask, V512 ifTrue, V512 ifFalse) => new(Vector512.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));
}
