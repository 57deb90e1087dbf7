// Matrix products on the CPU: dense (ggml_mul_mat) and per-expert (ggml_mul_mat_id), plus the per-expert bias. Experts are
// run one at a time over the rows routed to them, so each expert row is dequantised once per batch.

using System.Buffers;

namespace Tessera.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output)
    {
        var (x, y) = (Own(input), Own(output));
        RequireWeight(weight, x.Columns, "weight");
        if (weight.Slices != 1)
            throw new ArgumentException($"{weight.Name} {weight.Info.ShapeText} has {weight.Slices} slices; use MatMulExperts");
        RequireRows(y, x.Rows);
        RequireWidth(y, weight.Rows, weight.Name + " output");
        using var prepared = new CpuMatMul.Input(weight.Type, x.F32, x.Rows, x.Columns, RoundActivations);
        CpuMatMul.Run(weight, 0, prepared, y.F32, _parallel);
    }

    /// <inheritdoc/>
    public void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output)
    {
        var (x, ids, y) = (Own(input), Own(experts), Own(output));
        RequireWeight(weight, x.Columns, "expert weight");
        int tokens = ids.Rows, k = ids.Columns, inputs = weight.RowLength, outputs = weight.Rows;
        bool perSlot = x.Rows == tokens * k;
        if (!perSlot && x.Rows != tokens)
            throw new ArgumentException($"input {x} should have a row per token ({tokens}) or per expert slot ({tokens * k})");
        RequireRows(y, tokens * k);
        RequireWidth(y, outputs, weight.Name + " output");

        // Which output rows (token t, slot j → t·k + j) each expert serves.
        var routed = new List<int>[weight.Slices];
        for (int slot = 0; slot < tokens * k; slot++)
        {
            int e = ids.I32[slot];
            if ((uint)e >= (uint)weight.Slices)
                throw new ArgumentOutOfRangeException(nameof(experts), $"expert {e} is outside {weight.Name} {weight.Info.ShapeText}");
            (routed[e] ??= []).Add(slot);
        }

        for (int e = 0; e < routed.Length; e++)
        {
            if (routed[e] is not { } slots) continue;
            int n = slots.Count;
            var xe = ArrayPool<float>.Shared.Rent(n * inputs);
            var ye = ArrayPool<float>.Shared.Rent(n * outputs);
            try
            {
                for (int i = 0; i < n; i++)
                {
                    int row = perSlot ? slots[i] : slots[i] / k;
                    Array.Copy(x.F32, row * inputs, xe, i * inputs, inputs);
                }
                using (var prepared = new CpuMatMul.Input(weight.Type, xe, n, inputs, RoundActivations))
                    CpuMatMul.Run(weight, e, prepared, ye, _parallel);
                for (int i = 0; i < n; i++) Array.Copy(ye, i * outputs, y.F32, slots[i] * outputs, outputs);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(xe);
                ArrayPool<float>.Shared.Return(ye);
            }
        }
    }

    /// <inheritdoc/>
    public void AddExpertBias(BackendTensor x, WeightTensor bias, BackendTensor experts)
    {
        var (t, ids) = (Own(x), Own(experts));
        RequireWidth(t, bias.RowLength, bias.Name);
        RequireRows(t, ids.Rows * ids.Columns);
        for (int slot = 0; slot < t.Rows; slot++)
        {
            var b = bias.F32Row(ids.I32[slot]);
            var row = t.Row(slot);
            for (int i = 0; i < row.Length; i++) row[i] += b[i];
        }
    }
}
