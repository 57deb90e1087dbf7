// Activations quantised to Q8_0 as ggml-cpu's x86 build does before a dot product with Q8_0 or MXFP4 weights
// (arch/x86/quants.c quantize_row_q8_0, AVX path; gpt-oss-facts.md §3.5): d = amax/127 stored as f16, q = x·(127/amax)
// rounded half to even. GGUF writers use the reference quantiser instead (1/d, halves away from zero); the two differ in a
// few last bits, and the dot products must see ggml's. Also the decoding of weight rows into the same form for GgmlDot.

using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Rows of 32-value blocks as int8 quants plus one float scale per block.</summary>
internal static class Q8_0Activations
{
    /// <summary>Quantises <paramref name="x"/> (a multiple of 32 values) into quants and per-block scales (the f16 d, widened).</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<sbyte> quants, Span<float> scales)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            float amax = 0;
            foreach (var e in v) amax = MathF.Max(amax, MathF.Abs(e));
            scales[b] = (float)(Half)(amax / 127f);
            float id = amax != 0 ? 127f / amax : 0f;
            for (int j = 0; j < 32; j++) quants[b * 32 + j] = (sbyte)MathF.Round(v[j] * id, MidpointRounding.ToEven);
        }
    }

    /// <summary>Unpacks a Q8_0 weight row (34-byte blocks).</summary>
    public static void DecodeQ8_0(ReadOnlySpan<byte> row, Span<sbyte> quants, Span<float> scales)
    {
        for (int b = 0; b < scales.Length; b++)
        {
            var block = row.Slice(b * 34, 34);
            scales[b] = Fp16.Read(block);
            for (int j = 0; j < 32; j++) quants[b * 32 + j] = (sbyte)block[2 + j];
        }
    }

    /// <summary>Unpacks an MXFP4 weight row (17-byte blocks): ggml's doubled E2M1 values and the halved E8M0 scale.</summary>
    public static void DecodeMxfp4(ReadOnlySpan<byte> row, Span<sbyte> quants, Span<float> scales)
    {
        var values = Mxfp4Format.Values;
        for (int b = 0; b < scales.Length; b++)
        {
            var block = row.Slice(b * 17, 17);
            scales[b] = Mxfp4Format.Scale(block[0]);
            for (int j = 0; j < 16; j++)
            {
                quants[b * 32 + j] = values[block[1 + j] & 0xF];
                quants[b * 32 + 16 + j] = values[block[1 + j] >> 4];
            }
        }
    }
}
