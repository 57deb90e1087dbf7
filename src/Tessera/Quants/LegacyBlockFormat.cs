// ggml's 32-value "legacy" blocks Q4_0, Q4_1, Q5_0 and Q5_1 share one layout rule (ggml-common.h block_q4_0 .. block_q5_1;
// ggml-quants.c dequantize_row_* and quantize_row_*_ref; gpt-oss-facts.md §3.3): [d: f16] [m: f16, affine types only]
// [qh: u32 LE, 5-bit types only] [qs: 16 bytes]. Quant j (0..15) is the low nibble of qs[j], quant j+16 its high nibble, and
// a 5-bit type keeps quant i's fifth bit as bit i of qh. Symmetric types decode x = (q - 2^(bits-1))·d, affine x = q·d + m.

using System.Buffers.Binary;

namespace Tessera.Quants;

/// <summary>Base of the 32-value legacy block formats (Q4_0, Q4_1, Q5_0, Q5_1).</summary>
public abstract class LegacyBlockFormat : BlockFormat
{
    private const int QuantBytes = 16;
    private readonly int _bits;
    private readonly bool _affine;
    private readonly int _qhOffset;
    private readonly int _qsOffset;

    /// <summary>A legacy format with <paramref name="bits"/>-bit quants (4 or 5), with a per-block minimum when <paramref name="affine"/>.</summary>
    private protected LegacyBlockFormat(GgmlType type, int bits, bool affine) : base(type)
    {
        _bits = bits;
        _affine = affine;
        _qhOffset = affine ? 4 : 2;
        _qsOffset = _qhOffset + (bits == 5 ? 4 : 0);
    }

    /// <inheritdoc/>
    public override bool CanQuantize => true;

    /// <inheritdoc/>
    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Fp16.Read(block);
        uint qh = _bits == 5 ? BinaryPrimitives.ReadUInt32LittleEndian(block[_qhOffset..]) : 0;
        ReadOnlySpan<byte> qs = block.Slice(_qsOffset, QuantBytes);
        if (_affine)
        {
            float m = Fp16.Read(block[2..]);
            for (int j = 0; j < values.Length; j++)
                values[j] = Quant(qs, qh, j) * d + m;
        }
        else
        {
            int zero = 1 << (_bits - 1);
            // Kept apart from the affine case: adding a zero minimum would turn ggml's -0.0 results into +0.0.
            for (int j = 0; j < values.Length; j++)
                values[j] = (Quant(qs, qh, j) - zero) * d;
        }
    }

    /// <inheritdoc/>
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        Span<int> q = stackalloc int[values.Length];
        if (_affine)
        {
            (float d, float min) = QuantizeAffine(values, q);
            Fp16.Write(block, d);
            Fp16.Write(block[2..], min);
        }
        else
        {
            Fp16.Write(block, QuantizeSymmetric(values, q));
        }

        uint qh = Pack(q, block.Slice(_qsOffset, QuantBytes));
        if (_bits == 5)
            BinaryPrimitives.WriteUInt32LittleEndian(block[_qhOffset..], qh);
    }

    private static int Quant(ReadOnlySpan<byte> qs, uint qh, int j)
    {
        int nibble = j < QuantBytes ? qs[j] & 0xF : qs[j - QuantBytes] >> 4;
        return nibble | (int)((qh >> j) & 1) << 4;
    }

    // Packs the quants' low four bits into qs and returns their fifth bits as the qh word.
    private static uint Pack(ReadOnlySpan<int> q, Span<byte> qs)
    {
        uint qh = 0;
        for (int j = 0; j < QuantBytes; j++)
            qs[j] = (byte)((q[j] & 0xF) | (q[j + QuantBytes] & 0xF) << 4);
        for (int j = 0; j < q.Length; j++)
            qh |= (uint)(q[j] >> 4 & 1) << j;
        return qh;
    }

    // quantize_row_q4_0_ref / q5_0_ref: d = (signed value of largest magnitude, first one wins) / -2^(bits-1), so that value
    // maps to quant 0; quants are truncated after adding 2^(bits-1) + 0.5, then capped at the top quant.
    private float QuantizeSymmetric(ReadOnlySpan<float> x, Span<int> q)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        int zero = 1 << (_bits - 1);
        float d = max / -zero;
        float id = d != 0 ? 1f / d : 0f;
        float bias = zero + 0.5f;
        int top = (1 << _bits) - 1;
        for (int j = 0; j < x.Length; j++)
            q[j] = Math.Min(top, (int)(x[j] * id + bias));
        return d;
    }

    // quantize_row_q4_1_ref / q5_1_ref: d = (max - min) / (2^bits - 1); quants are (x - min)/d rounded half up. ggml caps
    // Q4_1 at 15 but not Q5_1, whose quants cannot pass 31 for finite input, so capping both changes nothing.
    private (float D, float Min) QuantizeAffine(ReadOnlySpan<float> x, Span<int> q)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        foreach (float v in x)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }

        int top = (1 << _bits) - 1;
        float d = (max - min) / top;
        float id = d != 0 ? 1f / d : 0f;
        for (int j = 0; j < x.Length; j++)
            q[j] = Math.Min(top, (int)((x[j] - min) * id + 0.5f));
        return (d, min);
    }
}
