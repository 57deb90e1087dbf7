// The CPU matrix product y[t, r] = Σ_c W[r, c]·x[t, c], rows of W shared out over threads. For the types gpt-oss files use
// (Q8_0, MXFP4, F32) each weight row meets the activations in ggml's own arithmetic (GgmlDot, on activations quantised
// by Q8_0Activations); any other type is dequantised a row at a time (BlockFormats, bit-exact with ggml) and dotted in
// float with activations rounded to the type's dot type (ActivationRounding), which agrees with ggml to float rounding.

using System.Buffers;
using System.Numerics.Tensors;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

/// <summary>Reference matrix products over weights of any supported type.</summary>
internal static class CpuMatMul
{
    private const int RowsPerTask = 64;

    /// <summary>Activations prepared for one weight type: Q8_0 rows (quants and block scales), or float rows.</summary>
    public sealed class Input : IDisposable
    {
        private readonly float[]? _floats;
        private readonly sbyte[]? _quants;
        private readonly float[]? _scales;

        /// <summary>Prepares <paramref name="rows"/> rows of <paramref name="x"/> for a product with <paramref name="weightType"/>
        /// weights: as ggml-cpu sees them when <paramref name="likeGgml"/>, else as plain floats.</summary>
        public Input(GgmlType weightType, ReadOnlySpan<float> x, int rows, int rowLength, bool likeGgml)
        {
            Rows = rows;
            RowLength = rowLength;
            if (likeGgml && weightType is GgmlType.Q8_0 or GgmlType.MXFP4)
            {
                _quants = ArrayPool<sbyte>.Shared.Rent(rows * rowLength);
                _scales = ArrayPool<float>.Shared.Rent(rows * rowLength / 32);
                for (int t = 0; t < rows; t++)
                    Q8_0Activations.Quantize(x.Slice(t * rowLength, rowLength), _quants.AsSpan(t * rowLength, rowLength), _scales.AsSpan(t * rowLength / 32, rowLength / 32));
                return;
            }
            _floats = ArrayPool<float>.Shared.Rent(rows * rowLength);
            x[..(rows * rowLength)].CopyTo(_floats);
            if (likeGgml)
            {
                var dotType = ActivationRounding.DotType(weightType);
                for (int t = 0; t < rows; t++) ActivationRounding.Apply(dotType, _floats.AsSpan(t * rowLength, rowLength));
            }
        }

        public int Rows { get; }
        public int RowLength { get; }
        public bool IsQuantized => _quants is not null;

        public ReadOnlySpan<float> FloatRow(int t) => _floats.AsSpan(t * RowLength, RowLength);

        public GgmlDot.QuantRow QuantRow(int t) =>
            new(_quants.AsSpan(t * RowLength, RowLength), _scales.AsSpan(t * RowLength / 32, RowLength / 32));

        public void Dispose()
        {
            if (_floats is not null) ArrayPool<float>.Shared.Return(_floats);
            if (_quants is not null) ArrayPool<sbyte>.Shared.Return(_quants);
            if (_scales is not null) ArrayPool<float>.Shared.Return(_scales);
        }
    }

    /// <summary>y [x.Rows × out] = slice <paramref name="slice"/> of <paramref name="weight"/> {in, out, ...} times x.</summary>
    public static void Run(WeightTensor weight, int slice, Input x, float[] y, ParallelOptions parallel)
    {
        int inputs = weight.RowLength, outputs = weight.Rows, tokens = x.Rows;
        if (x.RowLength != inputs || y.Length < (long)tokens * outputs)
            throw new ArgumentException($"{weight.Name}: {tokens} rows of {x.RowLength} for rows of {inputs}, into {y.Length} outputs");
        bool exactF32 = !x.IsQuantized && weight.Type == GgmlType.F32 && inputs % 8 == 0;
        var format = x.IsQuantized || weight.Type == GgmlType.F32 ? null : BlockFormats.Get(weight.Type);
        int tasks = (outputs + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, parallel, task =>
        {
            var floats = ArrayPool<float>.Shared.Rent(inputs);
            var quants = ArrayPool<sbyte>.Shared.Rent(inputs);
            try
            {
                int end = Math.Min(outputs, (task + 1) * RowsPerTask);
                for (int r = task * RowsPerTask; r < end; r++)
                {
                    if (x.IsQuantized)
                    {
                        var scales = floats.AsSpan(0, inputs / 32);
                        if (weight.Type == GgmlType.Q8_0)
                            Q8_0Activations.DecodeQ8_0(weight.Row(r, slice), quants, scales);
                        else
                            Q8_0Activations.DecodeMxfp4(weight.Row(r, slice), quants, scales);
                        var w = new GgmlDot.QuantRow(quants.AsSpan(0, inputs), scales);
                        for (int t = 0; t < tokens; t++)
                            y[t * outputs + r] = weight.Type == GgmlType.Q8_0 ? GgmlDot.Q8_0Q8_0(w, x.QuantRow(t)) : GgmlDot.Mxfp4Q8_0(w, x.QuantRow(t));
                    }
                    else if (exactF32)
                    {
                        var w = weight.F32Row(r, slice);
                        for (int t = 0; t < tokens; t++) y[t * outputs + r] = GgmlDot.F32F32(w, x.FloatRow(t));
                    }
                    else
                    {
                        ReadOnlySpan<float> w;
                        if (format is null)
                            w = weight.F32Row(r, slice);
                        else
                        {
                            format.DequantizeRow(weight.Row(r, slice), floats.AsSpan(0, inputs));
                            w = floats.AsSpan(0, inputs);
                        }
                        for (int t = 0; t < tokens; t++) y[t * outputs + r] = TensorPrimitives.Dot(w, x.FloatRow(t));
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(floats);
                ArrayPool<sbyte>.Shared.Return(quants);
            }
        });
    }
}
