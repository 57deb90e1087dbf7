// xoshiro256** (Blackman & Vigna, 2018) seeded through SplitMix64: a fast, reproducible generator for synthetic weights
// and for the token sampler's draw. System.Random is not used because its seeded algorithm is slow and may change
// between runtimes.

namespace Tessera.Synthetic;

internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>A generator for one stream of a seed, e.g. (seed, tensor index, chunk index).</summary>
    public static Xoshiro256 ForStream(ulong seed, ulong a, ulong b = 0)
    {
        var s = seed;
        var mixed = SplitMix(ref s) ^ (a * 0x9E3779B97F4A7C15UL) ^ (b * 0xC2B2AE3D27D4EB4FUL + 0x165667B19E3779F9UL);
        return new Xoshiro256(mixed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), with all 53 bits of a double's mantissa.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [−1, 1).</summary>
    public float NextSigned() => (float)((long)Next() >> 40) / (1 << 23);

    /// <summary>Fills <paramref name="span"/> with standard normal values (Box–Muller, both values of each pair).</summary>
    public void FillGaussian(Span<float> span)
    {
        for (var i = 0; i < span.Length; i += 2)
        {
            var radius = Math.Sqrt(-2 * Math.Log(1 - NextDouble()));   // 1 − u is in (0, 1]: no log of zero
            var (sin, cos) = Math.SinCos(2 * Math.PI * NextDouble());
            span[i] = (float)(radius * cos);
            if (i + 1 < span.Length) span[i + 1] = (float)(radius * sin);
        }
    }

    /// <summary>Fills <paramref name="span"/> with random bytes.</summary>
    public void Fill(Span<byte> span)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(span);
        for (var i = 0; i < words.Length; i++) words[i] = Next();
        for (var i = words.Length * 8; i < span.Length; i++) span[i] = (byte)Next();
    }
}
