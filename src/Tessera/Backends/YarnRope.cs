// Rotary position embedding with YaRN scaling, computed exactly as llama.cpp does (gpt-oss-facts.md §1; ggml/src/ggml.c
// ggml_rope_yarn_corr_dims, ggml-cpu/ops.cpp rope_yarn and ggml_rope_cache_init): the ramp bounds are floored and ceiled
// (8 and 18 for gpt-oss), frequencies come from repeated float multiplication by theta_scale, and cos and sin both carry
// the magnitude 1 + 0.1·ln(1/freq_scale). Pairs are rotated NEOX style, (x_i, x_{i + d/2}), with the FMA that ggml's
// compiled rotate_pairs has (the first product of each expression fused), so the result matches it bit for bit.

namespace Tessera.Backends;

/// <summary>YaRN RoPE parameters and the per-position cos/sin table llama.cpp derives from them.</summary>
public sealed class YarnRope
{
    /// <param name="dimensions">Rotated values per head (n_rot; the head dimension for gpt-oss).</param>
    /// <param name="freqBase">RoPE θ (gpt-oss: 150000).</param>
    /// <param name="scalingFactor">YaRN factor s (gpt-oss: 32); freq_scale = 1/s.</param>
    /// <param name="originalContextLength">Context the model was trained at before scaling (gpt-oss: 4096).</param>
    /// <param name="betaFast">YaRN β_fast (llama.cpp default 32).</param>
    /// <param name="betaSlow">YaRN β_slow (llama.cpp default 1).</param>
    /// <param name="extFactor">Extrapolation mix (1 when YaRN is selected).</param>
    /// <param name="attnFactor">Attention factor before YaRN's own magnitude (1 for gpt-oss in llama.cpp).</param>
    public YarnRope(int dimensions, float freqBase, float scalingFactor, int originalContextLength,
        float betaFast = 32f, float betaSlow = 1f, float extFactor = 1f, float attnFactor = 1f)
    {
        if (dimensions < 2 || dimensions % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(dimensions), $"RoPE needs an even number of dimensions, got {dimensions}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(freqBase);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scalingFactor);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(originalContextLength);
        Dimensions = dimensions;
        FreqBase = freqBase;
        FreqScale = 1f / scalingFactor;
        OriginalContextLength = originalContextLength;
        ExtFactor = extFactor;
        ThetaScale = MathF.Pow(freqBase, -2f / dimensions);
        CorrLow = MathF.Max(0, MathF.Floor(CorrectionDimension(betaFast)));
        CorrHigh = MathF.Min(dimensions - 1, MathF.Ceiling(CorrectionDimension(betaSlow)));
        Magnitude = extFactor != 0 ? attnFactor * (1f + 0.1f * MathF.Log(1f / FreqScale)) : attnFactor;
    }

    /// <summary>Rotated values per head.</summary>
    public int Dimensions { get; }

    /// <summary>RoPE θ.</summary>
    public float FreqBase { get; }

    /// <summary>1 / the YaRN factor.</summary>
    public float FreqScale { get; }

    /// <summary>Original training context.</summary>
    public int OriginalContextLength { get; }

    /// <summary>Extrapolation mix (1 = YaRN).</summary>
    public float ExtFactor { get; }

    /// <summary>θ^(−2/d): the ratio between consecutive pair frequencies.</summary>
    public float ThetaScale { get; }

    /// <summary>Start of the YaRN ramp: floor(corr_dim(β_fast)) (8 for gpt-oss).</summary>
    public float CorrLow { get; }

    /// <summary>End of the YaRN ramp: ceil(corr_dim(β_slow)) (18 for gpt-oss).</summary>
    public float CorrHigh { get; }

    /// <summary>Factor on both cos and sin: 1 + 0.1·ln s (1.3465736 for s = 32).</summary>
    public float Magnitude { get; }

    // d · ln(n_ctx_orig / (2π·β)) / (2 ln θ), in float as ggml_rope_yarn_corr_dim.
    private float CorrectionDimension(float beta) =>
        Dimensions * MathF.Log(OriginalContextLength / (beta * 2 * MathF.PI)) / (2 * MathF.Log(FreqBase));

    /// <summary>γ_i: 1 keeps pair <paramref name="pair"/>'s original frequency, 0 divides it by s (ggml's rope_yarn_ramp × ext_factor).</summary>
    public float Ramp(int pair)
    {
        float y = (pair - CorrLow) / MathF.Max(0.001f, CorrHigh - CorrLow);
        return (1 - MathF.Min(1, MathF.Max(0, y))) * ExtFactor;
    }

    /// <summary>Fills <paramref name="table"/> (length <see cref="Dimensions"/>) with cos·m, sin·m of each pair at
    /// <paramref name="position"/>: table[2i] = cos φ_i·m, table[2i+1] = sin φ_i·m.</summary>
    public void CosSin(int position, Span<float> table)
    {
        if (table.Length < Dimensions)
            throw new ArgumentException($"the table needs {Dimensions} values", nameof(table));
        float thetaExtrap = position;
        for (int i = 0; i < Dimensions / 2; i++)
        {
            float theta = Theta(i, thetaExtrap);
            table[2 * i] = MathF.Cos(theta) * Magnitude;
            table[2 * i + 1] = MathF.Sin(theta) * Magnitude;
            thetaExtrap *= ThetaScale;
        }
    }

    /// <summary>The angle φ_i of pair <paramref name="pair"/> at <paramref name="position"/> (before cos/sin).</summary>
    public float Angle(int pair, int position)
    {
        float thetaExtrap = position;
        for (int i = 0; i < pair; i++) thetaExtrap *= ThetaScale;
        return Theta(pair, thetaExtrap);
    }

    // ggml's rope_yarn: the interpolated angle p·ω_i/s blended with the original p·ω_i by the ramp.
    private float Theta(int pair, float thetaExtrap)
    {
        float thetaInterp = FreqScale * thetaExtrap;
        if (ExtFactor == 0)
            return thetaInterp;
        float mix = Ramp(pair);
        return thetaInterp * (1 - mix) + thetaExtrap * mix;
    }

    /// <summary>Rotates one head in place, NEOX style: pair i is (x_i, x_{i + d/2}), with a table from <see cref="CosSin"/>.</summary>
    public void RotateNeox(Span<float> head, ReadOnlySpan<float> table)
    {
        int half = Dimensions / 2;
        for (int i = 0; i < half; i++)
        {
            float cos = table[2 * i], sin = table[2 * i + 1];
            float x0 = head[i], x1 = head[i + half];
            head[i] = MathF.FusedMultiplyAdd(x0, cos, -(x1 * sin));
            head[i + half] = MathF.FusedMultiplyAdd(x0, sin, x1 * cos);
        }
    }
}
