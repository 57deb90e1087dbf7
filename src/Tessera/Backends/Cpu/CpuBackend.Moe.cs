// The mixture-of-experts ops on the CPU: router top-k with softmax, the SwiGLU-OAI activation and the weighted sum of the
// expert outputs (gpt-oss-facts.md §4.2j-l).

namespace Tessera.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void TopKSoftmax(BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        var (z, ids, w) = (Own(logits), Own(experts), Own(weights));
        RequireRows(ids, z.Rows);
        RequireSameShape(ids, w);
        for (int t = 0; t < z.Rows; t++) Cpu.TopKSoftmax.F32(z.Row(t), ids.IndexRow(t), w.Row(t));
    }

    /// <inheritdoc/>
    public void SwiGluOai(BackendTensor gate, BackendTensor up, float alpha, float limit, BackendTensor output)
    {
        var (g, u, y) = (Own(gate), Own(up), Own(output));
        RequireSameShape(g, u);
        RequireSameShape(g, y);
        Cpu.SwiGluOai.F32(g.F32, u.F32, alpha, limit, y.F32);
    }

    /// <inheritdoc/>
    public void WeightedSum(BackendTensor experts, BackendTensor weights, BackendTensor output)
    {
        var (ys, w, o) = (Own(experts), Own(weights), Own(output));
        int k = w.Columns;
        RequireRows(ys, w.Rows * k);
        RequireRows(o, w.Rows);
        RequireWidth(o, ys.Columns, "expert outputs");
        for (int t = 0; t < o.Rows; t++)
        {
            var sum = o.Row(t);
            var weight = w.Row(t);
            var first = ys.Row(t * k);
            for (int i = 0; i < sum.Length; i++) sum[i] = first[i] * weight[0];
            for (int j = 1; j < k; j++)
            {
                var y = ys.Row(t * k + j);
                for (int i = 0; i < sum.Length; i++) sum[i] += y[i] * weight[j];
            }
        }
    }
}
