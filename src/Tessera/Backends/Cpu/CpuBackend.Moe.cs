// The mixture-of-experts ops on the CPU: router top-k with softmax, the SwiGLU-OAI activation and the weighted sum of the
// expert outputs (gpt-oss-facts.md §4.2j-l). SwiGLU runs on the pool (its expf per value is the costliest part); the
// others are a few thousand values per token.

namespace Tessera.Backends.Cpu;

public sealed partial class CpuBackend
{
    // Values of SwiGLU per work item.
    private const int SwiGluChunk = 1024;

    private readonly SwiGluWork _swiGlu = new();

    /// <inheritdoc/>
    public void TopKSoftmax(BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        using var timer = new CpuProfile.Timer(_profile, "TopKSoftmax");
        var (z, ids, w) = (Own(logits), Own(experts), Own(weights));
        RequireRows(ids, z.Rows);
        RequireSameShape(ids, w);
        for (int t = 0; t < z.Rows; t++) Cpu.TopKSoftmax.F32(z.Row(t), ids.IndexRow(t), w.Row(t));
    }

    /// <inheritdoc/>
    public void SwiGluOai(BackendTensor gate, BackendTensor up, float alpha, float limit, BackendTensor output)
    {
        using var timer = new CpuProfile.Timer(_profile, "SwiGluOai");
        var (g, u, y) = (Own(gate), Own(up), Own(output));
        RequireSameShape(g, u);
        RequireSameShape(g, y);
        _swiGlu.Set(Isa, g.F32, u.F32, (int)g.ElementCount, alpha, limit, y.F32);
        _pool.Run(_swiGlu, (int)((g.ElementCount + SwiGluChunk - 1) / SwiGluChunk));
    }

    /// <inheritdoc/>
    public void WeightedSum(BackendTensor experts, BackendTensor weights, BackendTensor output)
    {
        using var timer = new CpuProfile.Timer(_profile, "WeightedSum");
        var (ys, w, o) = (Own(experts), Own(weights), Own(output));
        int k = w.Columns;
        RequireRows(ys, w.Rows * k);
        RequireRows(o, w.Rows);
        RequireWidth(o, ys.Columns, "expert outputs");
        for (int t = 0; t < o.Rows; t++)
        {
            var sum = o.Row(t);
            var weight = w.Row(t);
            F32Arithmetic.Scale(Isa, sum, ys.Row(t * k), weight[0]);
            for (int j = 1; j < k; j++) F32Arithmetic.AddScaled(Isa, sum, ys.Row(t * k + j), weight[j]);
        }
    }

    private sealed class SwiGluWork : CpuThreadPool.IWork
    {
        private CpuIsa _isa;
        private float[] _gate = [], _up = [], _output = [];
        private int _count;
        private float _alpha, _limit;

        // The first `count` values of the arrays (a view's arrays may be longer).
        public void Set(CpuIsa isa, float[] gate, float[] up, int count, float alpha, float limit, float[] output) =>
            (_isa, _gate, _up, _count, _alpha, _limit, _output) = (isa, gate, up, count, alpha, limit, output);

        public void Execute(int item, int thread)
        {
            int start = item * SwiGluChunk, length = Math.Min(SwiGluChunk, _count - start);
            F32SwiGluOai.Run(_isa, _gate.AsSpan(start, length), _up.AsSpan(start, length), _alpha, _limit, _output.AsSpan(start, length));
        }
    }
}
