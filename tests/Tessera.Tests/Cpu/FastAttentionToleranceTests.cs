// The CPU backend's attention op, fast path (the default) against the exact path (ggml's bits) and against attention in
// double precision, on random inputs of gpt-oss-20b's shape (64 query heads over 8 KV heads of 64): one decoded token and
// batches, depths 0 to 5000, full attention and the 128-token sliding window over a ring that has wrapped, sinks, F16 and
// F32 caches. Stated tolerances, as relative RMS error of the outputs (Tolerance.Close, which also bounds the worst value
// at 20× that): the fast path is within 2e-6 of double precision (F32 arithmetic throughout on the cache's values;
// measured 4e-7 at most). The exact path rounds the queries and the running value sum to F16 as ggml does, an error that
// grows with the keys (measured 4e-5 at depth 0 to 1e-2 at depth 5000 with an F16 cache, 1.6e-6 with an F32 cache), so
// fast and exact differ by the exact path's own error: fast vs exact within that error + 2e-6, and within 2e-2.

using Tessera.Backends;
using Tessera.Backends.Cpu;
using Tessera.Quants;
using Tessera.Tests.Backends;

namespace Tessera.Tests.Cpu;

public class FastAttentionToleranceTests
{
    private const int Heads = 64, KvHeads = 8, HeadSize = 64;

    public static TheoryData<int, int, int, GgmlType> Cases()
    {
        var data = new TheoryData<int, int, int, GgmlType>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.F32 })
            foreach (var (depth, tokens, window) in new[]
            {
                (0, 1, 0), (1, 1, 0), (300, 1, 0), (1024, 1, 0), (4096, 1, 0), (5000, 1, 0),
                (0, 7, 0), (700, 64, 0), (4096, 5, 0), (2000, 70, 0),
                (0, 1, 128), (1000, 1, 128), (5000, 1, 128), (300, 64, 128), (4900, 7, 128),
            })
                data.Add(depth, tokens, window, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathIsWithinToleranceOfTheExactPathAndOfDoublePrecision(int depth, int tokens, int window, GgmlType type)
    {
        var rng = new Random(depth * 7 + tokens * 13 + window + (int)type);
        // Full layers hold position p in slot p; sliding-window layers a ring of window + 64 slots (KvCache's sizing), here
        // wrapped (positions past its size) unless the context is short.
        int positions = depth + tokens, slots = window > 0 ? Math.Min(positions, window + 64) : positions;
        var keyPositions = Enumerable.Repeat(-1, slots).ToArray();
        for (int p = Math.Max(0, positions - slots); p < positions; p++) keyPositions[p % slots] = p;
        var queryPositions = Enumerable.Range(depth, tokens).ToArray();
        // Scores of about unit spread (q·k/8, q and k uniform in ±1.7), sinks among them (±5), values of unit size.
        var q = Floats(rng, tokens * Heads * HeadSize, 1f);
        var k = Floats(rng, slots * KvHeads * HeadSize, 1f);
        var v = Floats(rng, slots * KvHeads * HeadSize, 1f);
        var sinks = Floats(rng, Heads, 3f);

        using var weights = new TestWeights().AddF32("sinks", [Heads], sinks);
        using var fast = new CpuBackend(2);
        using var exact = new CpuBackend(2) { ExactAttention = true };
        var sinkWeight = weights.Load(fast)["sinks"];
        var (fastOut, cached) = Attend(fast, q, k, v, queryPositions, keyPositions, window, sinkWeight, type);
        var (exactOut, _) = Attend(exact, q, k, v, queryPositions, keyPositions, window, sinkWeight, type);
        var reference = Reference(q, cached.Keys, cached.Values, queryPositions, keyPositions, window, sinks);

        string what = $"depth {depth}, {tokens} tokens, window {window}, {type} cache";
        double exactError = RelativeRms(reference, exactOut);
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: fast {RelativeRms(reference, fastOut):E2}, exact {exactError:E2}, " +
            $"fast vs exact {RelativeRms(exactOut, fastOut):E2} (relative RMS)");
        Tolerance.Close(reference, fastOut, 2e-6, $"fast path vs double precision, {what}");
        Assert.True(exactError <= 2e-2, $"exact path vs double precision, {what}: {exactError:E2}");
        Tolerance.Close(exactOut, fastOut, exactError + 2e-6, $"fast path vs exact path, {what}");
    }

    private static (float[] Output, (float[] Keys, float[] Values) Cached) Attend(CpuBackend b, float[] q, float[] k, float[] v,
        int[] queryPositions, int[] keyPositions, int window, WeightTensor sinks, GgmlType type)
    {
        int tokens = queryPositions.Length, slots = keyPositions.Length;
        using var qt = b.Tensor(tokens, Heads * HeadSize, q);
        using var keys = b.Tensor(slots, KvHeads * HeadSize, k, type);
        using var values = b.Tensor(slots, KvHeads * HeadSize, v, type);
        using var qp = b.Indices(1, tokens, queryPositions);
        using var kp = b.Indices(1, slots, keyPositions);
        using var output = b.NewTensor(GgmlType.F32, tokens, Heads * HeadSize);
        b.Attention(qt, keys, values, qp, kp, slots, window, sinks, 1f / MathF.Sqrt(HeadSize), output);
        return (b.ReadFloats(output), (b.ReadFloats(keys), b.ReadFloats(values)));
    }

    // Attention with sinks in double precision over the cache's values (gpt-oss-facts.md §4.2e-f).
    private static float[] Reference(float[] q, float[] k, float[] v, int[] queryPositions, int[] keyPositions, int window, float[] sinks)
    {
        int tokens = queryPositions.Length, slots = keyPositions.Length, group = Heads / KvHeads, width = KvHeads * HeadSize;
        var output = new float[tokens * Heads * HeadSize];
        Parallel.For(0, tokens * Heads, th =>
        {
            int t = th / Heads, h = th % Heads, g = h / group;
            var scores = new double[slots];
            double max = sinks[h];
            for (int s = 0; s < slots; s++)
            {
                scores[s] = double.NegativeInfinity;
                if (!AttentionMask.IsVisible(queryPositions[t], keyPositions[s], window)) continue;
                double dot = 0;
                for (int i = 0; i < HeadSize; i++) dot += (double)q[th * HeadSize + i] * k[s * width + g * HeadSize + i];
                scores[s] = dot / Math.Sqrt(HeadSize);
                max = Math.Max(max, scores[s]);
            }
            double z = Math.Exp(sinks[h] - max);
            var o = new double[HeadSize];
            for (int s = 0; s < slots; s++)
            {
                double w = Math.Exp(scores[s] - max);
                if (w == 0) continue;
                z += w;
                for (int i = 0; i < HeadSize; i++) o[i] += w * v[s * width + g * HeadSize + i];
            }
            for (int i = 0; i < HeadSize; i++) output[th * HeadSize + i] = (float)(o[i] / z);
        });
        return output;
    }

    private static double RelativeRms(float[] expected, float[] actual)
    {
        double err = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            err += (actual[i] - (double)expected[i]) * (actual[i] - (double)expected[i]);
            norm += (double)expected[i] * expected[i];
        }
        return Math.Sqrt(err / Math.Max(norm, 1e-30));
    }

    private static float[] Floats(Random rng, int n, float scale)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale * 1.7f;
        return x;
    }
}
