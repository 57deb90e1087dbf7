// One test body per IBackend op, run on every backend (TestBackends): the CPU in CI, CUDA on a GPU. Each op is compared
// with a plain reference written here (double accumulation over the exact values: dequantised weights, F16-rounded cache)
// with the tolerance stated beside it: products and elementwise ops 1e-5 relative RMS (float accumulation in another
// order; the GPU's products of Q8_0 and MXFP4 weights quantise x to Q8_0 as the CPU backend does, and the reference
// multiplies the same quantised x), except the GPU's f16 tensor-core products (32 or more tokens or expert slots with F16
// weights, or with any weights on TESSERA_CUDA_PREFILL_INT8=0: activations rounded to F16, weights exact, F32
// accumulation) at 1e-3, and 2e-3 through the gate-up-SwiGLU-down chain; attention 2e-5 on the CPU (its default tiled
// path computes in F32 throughout; ggml's exact path, ExactAttention, is held to llama.cpp's bits elsewhere), on the GPU 2e-5
// too but 2e-4 for its tensor-core decode over an F16 cache (queries rounded to F16 for the products, F32 sums).

using Tessera.Backends;
using Tessera.Backends.Cuda;
using Tessera.Quants;

namespace Tessera.Tests.Backends;

public class BackendConformanceTests
{
    private const double Exact = 1e-5;

    // Whether the GPU's tensor-core products (CudaKernels.MmaMinTokens / MmaMinSlots and more) of this weight type are the
    // integer ones (x quantised to Q8_0), as the backends of these tests are made (CudaKernels.IntegerPrefillDefault).
    private static bool IntegerMma(GgmlType type) =>
        type is GgmlType.Q8_0 or GgmlType.MXFP4 && Tessera.Backends.Cuda.CudaKernels.IntegerPrefillDefault;

    // Tensor-core products on the GPU with activations rounded to F16 (F16 weights, or the f16 path of the others): dense
    // products of MmaMinTokens rows and more, expert products of MmaMinSlots slots and more.
    private static double ProductTolerance(string backend, GgmlType type, int tokens) =>
        F16Tolerance(backend, type, tokens >= Tessera.Backends.Cuda.CudaKernels.MmaMinTokens);

    private static double SlotsTolerance(string backend, GgmlType type, int slots) =>
        F16Tolerance(backend, type, slots >= Tessera.Backends.Cuda.CudaKernels.MmaMinSlots);

    private static double F16Tolerance(string backend, GgmlType type, bool mma) =>
        backend == "cuda" && type != GgmlType.F32 && mma && !IntegerMma(type) ? 1e-3 : Exact;

    // The GPU's matrix-vector products of Q8_0 and MXFP4 weights (CudaKernels.IntegerMatVec: up to MatVecMaxTokens rows,
    // ExpertMatVecMaxSlots expert slots) and its integer tensor-core products (CudaKernels.IntegerPrefill: from
    // MmaMinTokens rows, MmaMinSlots slots) multiply x quantised to Q8_0 as llama.cpp does: the reference multiplies the
    // same quantised x (Q8_0Activations, the CPU's quantisation), so the tolerance stays that of float accumulation.
    private static float[] Multiplied(string backend, GgmlType type, bool quantised, float[] x, int k)
    {
        if (backend != "cuda" || !quantised || type is not (GgmlType.Q8_0 or GgmlType.MXFP4)) return x;
        return Quantised(x, k);
    }

    // x with every row of k values replaced by its Q8_0 quantisation as the CPU backend quantises it (k a multiple of 32).
    private static float[] Quantised(float[] x, int k)
    {
        var result = new float[x.Length];
        var q = new sbyte[k];
        var d = new float[k / 32];
        for (int row = 0; row < x.Length / k; row++)
        {
            Tessera.Backends.Cpu.Q8_0Activations.Quantize(x.AsSpan(row * k, k), q, d);
            for (int i = 0; i < k; i++) result[row * k + i] = q[i] * d[i / 32];
        }
        return result;
    }

    private static float[] MultipliedRows(string backend, GgmlType type, int tokens, float[] x, int k) =>
        Multiplied(backend, type, tokens <= Tessera.Backends.Cuda.CudaKernels.MatVecMaxTokens
            || tokens >= Tessera.Backends.Cuda.CudaKernels.MmaMinTokens && IntegerMma(type), x, k);

    private static float[] MultipliedSlots(string backend, GgmlType type, int slots, float[] x, int k) =>
        Multiplied(backend, type, slots <= Tessera.Backends.Cuda.CudaKernels.ExpertMatVecMaxSlots
            || slots >= Tessera.Backends.Cuda.CudaKernels.MmaMinSlots && IntegerMma(type), x, k);

    private static float[] RandomValues(Random rng, int n, double scale = 1)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    // y[t, r] = Σ_i W[r, i]·x[t, i] (+ b[r]) in double.
    private static float[] Product(float[] w, int rowOffset, int k, int r, float[] x, int xRow, float[]? bias = null, int biasOffset = 0)
    {
        var y = new float[r];
        for (int o = 0; o < r; o++)
        {
            double s = 0;
            for (int i = 0; i < k; i++) s += (double)w[(long)(rowOffset + o) * k + i] * x[(long)xRow * k + i];
            y[o] = (float)(s + (bias is null ? 0 : bias[biasOffset + o]));
        }
        return y;
    }

    public static TheoryData<string, GgmlType, int, int, int> MatMulCases()
    {
        var data = new TheoryData<string, GgmlType, int, int, int>();
        foreach (var backend in new[] { "cpu", "cuda" })
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.MXFP4 })
                foreach (var (k, r, t) in new[] { (64, 96, 1), (256, 40, 3), (64, 64, 8), (128, 200, 37), (96, 70, 130), (64, 130, 33), (2880, 256, 100) })
                    data.Add(backend, type, k, r, t);
        return data;
    }

    [Theory, MemberData(nameof(MatMulCases))]
    public void MatMul(string backend, GgmlType type, int k, int r, int tokens)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(k * 1000 + r + tokens);
        using var weights = new TestWeights().AddRandom("w", type, [k, r], rng);
        var w = weights.Load(b)["w"];
        var x = RandomValues(rng, tokens * k);
        using var input = b.Tensor(tokens, k, x);
        using var output = b.NewTensor(GgmlType.F32, tokens, r);
        b.MatMul(w, input, output);
        var wv = weights.Values("w");
        var xm = MultipliedRows(backend, type, tokens, x, k);
        var expected = Enumerable.Range(0, tokens).SelectMany(t => Product(wv, 0, k, r, xm, t)).ToArray();
        Tolerance.Close(expected, b.ReadFloats(output), ProductTolerance(backend, type, tokens), $"{type} MatMul {k}→{r}, {tokens} tokens");
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 1, true)] [InlineData(GgmlType.Q8_0, 3, true)] [InlineData(GgmlType.MXFP4, 1, true)] [InlineData(GgmlType.MXFP4, 4, true)]
    [InlineData(GgmlType.Q8_0, 1, false)] [InlineData(GgmlType.MXFP4, 2, false)]
    public void CudaMatVecOnBothPathsAtTheModelsWidth(GgmlType type, int tokens, bool integer)
    {
        // K = 2880 (gpt-oss's width, whose quantised row is padded in shared memory): the integer path against the product
        // of the quantised x, the F32 path (TESSERA_CUDA_MV_INT8=0) against the product of x itself.
        using var b = TestBackends.Create("cuda");
        ((Tessera.Backends.Cuda.CudaBackend)b).IntegerMatVec = integer;
        var rng = new Random(tokens * 11 + (int)type);
        const int k = 2880, r = 200;
        using var weights = new TestWeights().AddRandom("w", type, [k, r], rng);
        var w = weights.Load(b)["w"];
        var x = RandomValues(rng, tokens * k, 3);
        using var input = b.Tensor(tokens, k, x);
        using var output = b.NewTensor(GgmlType.F32, tokens, r);
        b.MatMul(w, input, output);
        var xm = integer ? MultipliedRows("cuda", type, tokens, x, k) : x;
        var expected = Enumerable.Range(0, tokens).SelectMany(t => Product(weights.Values("w"), 0, k, r, xm, t)).ToArray();
        Tolerance.Close(expected, b.ReadFloats(output), Exact, $"{type} MatMul {k}→{r}, {tokens} tokens, {(integer ? "integer" : "F32")} path");
    }

    public static TheoryData<GgmlType, int, int, int, bool> CudaPrefillCases()
    {
        var data = new TheoryData<GgmlType, int, int, int, bool>();
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.MXFP4 })
        {
            foreach (var (k, r, t) in new[] { (2880, 200, 32), (2880, 256, 300), (2880, 201, 100), (96, 64, 65), (128, 70, 33), (4096, 130, 129) })
                data.Add(type, k, r, t, true);
            foreach (var (k, r, t) in new[] { (2880, 200, 100), (128, 70, 33) })
                data.Add(type, k, r, t, false);
        }
        return data;
    }

    [Theory, MemberData(nameof(CudaPrefillCases))]
    public void CudaPrefillOnBothPaths(GgmlType type, int k, int r, int tokens, bool integer)
    {
        // The tensor-core GEMM (MmaMinTokens rows and more) on both paths: the integer one (the default) against the product
        // of x quantised by the CPU backend's own Q8_0Activations, to float accumulation (1e-5: a path that skipped or
        // misplaced the quantisation would be off by 4e-3 or more); the f16 one (TESSERA_CUDA_PREFILL_INT8=0) against the
        // product of x itself within its rounding of x to f16 (1e-3; the Q8_0 rounding of x would be 4e-3). Output rows and
        // tokens not multiples of the 128 × 64 tile; token 1 has an all-zero block (scale 0) and token 2 values 1,000 times
        // smaller than the rest (a subnormal f16 scale).
        // The integer path runs twice: x quantised once by its own kernel (the default), and in every tile of the GEMM.
        using var b = TestBackends.Create("cuda");
        var cuda = (Tessera.Backends.Cuda.CudaBackend)b;
        cuda.IntegerPrefill = integer;
        var rng = new Random(k + r * 7 + tokens * 13 + (int)type);
        using var weights = new TestWeights().AddRandom("w", type, [k, r], rng);
        var w = weights.Load(b)["w"];
        var x = RandomValues(rng, tokens * k, 3);
        Array.Clear(x, k + 32, 32);
        for (int i = 2 * k; i < 3 * k; i++) x[i] *= 1e-3f;
        using var input = b.Tensor(tokens, k, x);
        using var output = b.NewTensor(GgmlType.F32, tokens, r);
        var xm = integer ? Quantised(x, k) : x;
        var expected = Enumerable.Range(0, tokens).SelectMany(t => Product(weights.Values("w"), 0, k, r, xm, t)).ToArray();
        foreach (var once in integer ? new[] { true, false } : [true])
        {
            cuda.QuantiseXOnce = once;
            b.MatMul(w, input, output);
            Tolerance.Close(expected, b.ReadFloats(output), integer ? Exact : 1e-3,
                $"{type} MatMul {k}→{r}, {tokens} tokens, {(integer ? once ? "integer, x quantised once" : "integer, x quantised per tile" : "f16")} tensor cores");
        }
    }

    [Theory]
    [InlineData(GgmlType.MXFP4, 2880, 75, false, true)] [InlineData(GgmlType.MXFP4, 2880, 75, true, true)]
    [InlineData(GgmlType.Q8_0, 2880, 75, false, true)] [InlineData(GgmlType.Q8_0, 2880, 20, true, true)]
    [InlineData(GgmlType.MXFP4, 96, 40, true, true)] [InlineData(GgmlType.Q8_0, 64, 9, false, true)]
    [InlineData(GgmlType.MXFP4, 2880, 75, false, false)] [InlineData(GgmlType.Q8_0, 96, 40, true, false)]
    public void CudaPrefillExpertsOnBothPaths(GgmlType type, int k, int tokens, bool perSlot, bool integer)
    {
        // The grouped tensor-core GEMM (MmaMinSlots slots and more) on both paths, held as in CudaPrefillOnBothPaths.
        // 32 experts of 200 rows, 4 per token: expert 0 on every token (two tiles of 64 slots from 65 tokens), expert 1 on
        // token 0 only, experts 2..6 on every fifth token each, 7..30 at random, expert 31 on none; token 1 has an all-zero
        // block.
        using var b = TestBackends.Create("cuda");
        ((Tessera.Backends.Cuda.CudaBackend)b).IntegerPrefill = integer;
        var rng = new Random(k + tokens * 13 + (perSlot ? 1 : 0) + (int)type);
        const int experts = 32, used = 4, r = 200;
        using var weights = new TestWeights().AddRandom("w", type, [k, r, experts], rng);
        var w = weights.Load(b)["w"];
        var ids = new int[tokens * used];
        for (int t = 0; t < tokens; t++)
        {
            ids[t * used] = 0;
            ids[t * used + 1] = t == 0 ? 1 : 2 + t % 5;
            var rest = Enumerable.Range(7, 24).OrderBy(_ => rng.Next()).Take(used - 2).ToArray();
            rest.CopyTo(ids, t * used + 2);
        }
        int rowsIn = perSlot ? tokens * used : tokens;
        var x = RandomValues(rng, rowsIn * k, 3);
        Array.Clear(x, k, 32);
        using var input = b.Tensor(rowsIn, k, x);
        using var chosen = b.Indices(tokens, used, ids);
        using var output = b.NewTensor(GgmlType.F32, tokens * used, r);
        b.MatMulExperts(w, input, chosen, output);
        var wv = weights.Values("w");
        var xm = integer ? Quantised(x, k) : x;
        var expected = Enumerable.Range(0, tokens * used).SelectMany(q => Product(wv, ids[q] * r, k, r, xm, perSlot ? q : q / used)).ToArray();
        Tolerance.Close(expected, b.ReadFloats(output), integer ? Exact : 1e-3,
            $"{type} experts {k}→{r}, {tokens} tokens, {(perSlot ? "x per slot" : "x per token")}, {(integer ? "integer" : "f16")} tensor cores");
    }

    [Theory]
    [InlineData("cpu", 1)] [InlineData("cpu", 9)] [InlineData("cuda", 1)] [InlineData("cuda", 9)] [InlineData("cuda", 100)]
    public void MatMulManyBiasIsThreeProductsWithBiases(string backend, int tokens)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(tokens);
        const int k = 128;
        int[] rows = [128, 32, 32];
        using var weights = new TestWeights();
        for (int i = 0; i < 3; i++)
            weights.AddRandom($"w{i}", GgmlType.Q8_0, [k, rows[i]], rng).AddF32($"b{i}", [rows[i]], RandomValues(rng, rows[i]));
        var loaded = weights.Load(b);
        var x = RandomValues(rng, tokens * k);
        using var input = b.Tensor(tokens, k, x);
        var outputs = rows.Select(r => b.NewTensor(GgmlType.F32, tokens, r)).ToArray();
        b.MatMulManyBias([loaded["w0"], loaded["w1"], loaded["w2"]], [loaded["b0"], loaded["b1"], loaded["b2"]], input, outputs);
        for (int i = 0; i < 3; i++)
        {
            var (wv, bv) = (weights.Values($"w{i}"), weights.Values($"b{i}"));
            var expected = Enumerable.Range(0, tokens).SelectMany(t => Product(wv, 0, k, rows[i], MultipliedRows(backend, GgmlType.Q8_0, tokens, x, k), t, bv)).ToArray();
            Tolerance.Close(expected, b.ReadFloats(outputs[i]), ProductTolerance(backend, GgmlType.Q8_0, tokens), $"output {i}");
            outputs[i].Dispose();
        }
    }

    public static TheoryData<string, GgmlType, int, bool> ExpertCases()
    {
        var data = new TheoryData<string, GgmlType, int, bool>();
        foreach (var backend in new[] { "cpu", "cuda" })
            foreach (var type in new[] { GgmlType.MXFP4, GgmlType.Q8_0, GgmlType.F16, GgmlType.F32 })
                foreach (var tokens in new[] { 1, 5, 70 })
                    foreach (var perSlot in new[] { false, true })
                        data.Add(backend, type, tokens, perSlot);
        return data;
    }

    private static int[] RandomExperts(Random rng, int tokens, int k, int experts)
    {
        var ids = new int[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            var chosen = Enumerable.Range(0, experts).OrderBy(_ => rng.Next()).Take(k).ToArray();
            chosen.CopyTo(ids, t * k);
        }
        return ids;
    }

    [Theory, MemberData(nameof(ExpertCases))]
    public void MatMulExperts(string backend, GgmlType type, int tokens, bool perSlot)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(tokens * 7 + (perSlot ? 1 : 0));
        const int k = 64, r = 96, experts = 8, used = 3;
        using var weights = new TestWeights().AddRandom("w", type, [k, r, experts], rng);
        var w = weights.Load(b)["w"];
        var ids = RandomExperts(rng, tokens, used, experts);
        int rowsIn = perSlot ? tokens * used : tokens;
        var x = RandomValues(rng, rowsIn * k);
        using var input = b.Tensor(rowsIn, k, x);
        using var chosen = b.Indices(tokens, used, ids);
        using var output = b.NewTensor(GgmlType.F32, tokens * used, r);
        b.MatMulExperts(w, input, chosen, output);
        var wv = weights.Values("w");
        var xm = MultipliedSlots(backend, type, tokens * used, x, k);
        var expected = Enumerable.Range(0, tokens * used).SelectMany(q => Product(wv, ids[q] * r, k, r, xm, perSlot ? q : q / used)).ToArray();
        Tolerance.Close(expected, b.ReadFloats(output), SlotsTolerance(backend, type, tokens * used), $"{type} experts, {tokens} tokens");
    }

    private static float SwiGlu(double g, double u)
    {
        float gc = MathF.Min((float)g, 7f), uc = Math.Clamp((float)u, -7f, 7f);
        return (float)(gc / (1 + Math.Exp(-1.702 * gc)) * (uc + 1));
    }

    [Theory]
    [InlineData("cpu", GgmlType.MXFP4, 1)] [InlineData("cpu", GgmlType.MXFP4, 40)] [InlineData("cpu", GgmlType.F16, 3)]
    [InlineData("cuda", GgmlType.MXFP4, 1)] [InlineData("cuda", GgmlType.MXFP4, 2)] [InlineData("cuda", GgmlType.MXFP4, 40)]
    [InlineData("cuda", GgmlType.F16, 3)] [InlineData("cuda", GgmlType.Q8_0, 1)] [InlineData("cuda", GgmlType.MXFP4, 300)]
    public void ExpertsGateUpThenDownAdd(string backend, GgmlType type, int tokens)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(tokens + (int)type);
        const int embd = 64, ff = 96, experts = 8, used = 4;
        using var weights = new TestWeights()
            .AddRandom("gate", type, [embd, ff, experts], rng).AddF32("gate_b", [ff, experts], RandomValues(rng, ff * experts))
            .AddRandom("up", type, [embd, ff, experts], rng).AddF32("up_b", [ff, experts], RandomValues(rng, ff * experts))
            .AddRandom("down", type, [ff, embd, experts], rng).AddF32("down_b", [embd, experts], RandomValues(rng, embd * experts));
        var w = weights.Load(b);
        var ids = RandomExperts(rng, tokens, used, experts);
        var routeWeights = RandomValues(rng, tokens * used).Select(Math.Abs).ToArray();
        var x = RandomValues(rng, tokens * embd, 4);
        var h = RandomValues(rng, tokens * embd);
        using var input = b.Tensor(tokens, embd, x);
        using var chosen = b.Indices(tokens, used, ids);
        using var weightsT = b.Tensor(tokens, used, routeWeights);
        using var gateOut = b.NewTensor(GgmlType.F32, tokens * used, ff);
        using var upOut = b.NewTensor(GgmlType.F32, tokens * used, ff);
        using var act = b.NewTensor(GgmlType.F32, tokens * used, ff);
        using var downOut = b.NewTensor(GgmlType.F32, tokens * used, embd);
        using var sum = b.NewTensor(GgmlType.F32, tokens, embd);
        using var residual = b.Tensor(tokens, embd, h);
        b.ExpertsGateUp(w["gate"], w["gate_b"], w["up"], w["up_b"], input, chosen, gateOut, upOut, 1.702f, 7f, act);
        b.ExpertsDownAdd(w["down"], w["down_b"], act, chosen, weightsT, downOut, sum, residual);

        var (gv, gb, uv, ub, dv, db) = (weights.Values("gate"), weights.Values("gate_b"), weights.Values("up"), weights.Values("up_b"), weights.Values("down"), weights.Values("down_b"));
        var expectedAct = new float[tokens * used * ff];
        var xm = MultipliedSlots(backend, type, tokens * used, x, embd);
        for (int q = 0; q < tokens * used; q++)
        {
            var g = Product(gv, ids[q] * ff, embd, ff, xm, q / used, gb, ids[q] * ff);
            var u = Product(uv, ids[q] * ff, embd, ff, xm, q / used, ub, ids[q] * ff);
            for (int i = 0; i < ff; i++) expectedAct[q * ff + i] = SwiGlu(g[i], u[i]);
        }
        double chain = SlotsTolerance(backend, type, tokens * used) == Exact ? Exact : 2e-3;
        Tolerance.Close(expectedAct, b.ReadFloats(act), chain, "SwiGLU activations");
        var expected = (float[])h.Clone();
        var gpuAct = MultipliedSlots(backend, type, tokens * used, b.ReadFloats(act), ff);   // the down half: on the backend's own activations
        for (int t = 0; t < tokens; t++)
        {
            var acc = new double[embd];
            for (int j = 0; j < used; j++)
            {
                int q = t * used + j;
                var y = Product(dv, ids[q] * embd, ff, embd, gpuAct, q, db, ids[q] * embd);
                for (int i = 0; i < embd; i++) acc[i] += routeWeights[q] * y[i];
            }
            for (int i = 0; i < embd; i++) expected[t * embd + i] = (float)(h[t * embd + i] + acc[i]);
        }
        Tolerance.Close(expected, b.ReadFloats(residual), chain, "residual after the experts");
    }

    // RMSNorm of rows of x (embd values each) times nv, in double.
    private static float[] RmsNormed(float[] x, float[] nv, int tokens, int embd)
    {
        var y = new float[tokens * embd];
        for (int t = 0; t < tokens; t++)
        {
            double ss = 0;
            for (int i = 0; i < embd; i++) ss += (double)x[t * embd + i] * x[t * embd + i];
            double scale = 1 / Math.Sqrt(ss / embd + 1e-5);
            for (int i = 0; i < embd; i++) y[t * embd + i] = (float)(x[t * embd + i] * scale * nv[i]);
        }
        return y;
    }

    // A router (F32 {embd, experts} and bias), a Q8_0 projection {attn, embd} with its bias and an RMSNorm weight.
    private static TestWeights RouterAndProjection(Random rng, int attn, int embd, int experts) => new TestWeights()
        .AddRandom("router", GgmlType.F32, [embd, experts], rng).AddF32("router_b", [experts], RandomValues(rng, experts))
        .AddRandom("proj", GgmlType.Q8_0, [attn, embd], rng).AddF32("proj_b", [embd], RandomValues(rng, embd))
        .AddF32("norm", [embd], RandomValues(rng, embd));

    // The router's logits against the product of the backend's own normalised rows, and its experts and weights: the top k
    // of its own logits (ties: lower index first) with a softmax over those k.
    private static void CheckRoute(IBackend b, TestWeights weights, float[] normed, int tokens, int embd, BackendTensor logits,
        BackendTensor ids, BackendTensor probs)
    {
        int experts = logits.Columns, used = ids.Columns;
        var gotLogits = b.ReadFloats(logits);
        var expectedLogits = Enumerable.Range(0, tokens).SelectMany(t => Product(weights.Values("router"), 0, embd, experts, normed, t, weights.Values("router_b"))).ToArray();
        Tolerance.Close(expectedLogits, gotLogits, Exact, "router logits");
        var gotIds = b.ReadInts(ids);
        var gotProbs = b.ReadFloats(probs);
        for (int t = 0; t < tokens; t++)
        {
            var row = gotLogits.AsSpan(t * experts, experts).ToArray();
            var order = Enumerable.Range(0, experts).OrderByDescending(e => row[e]).ThenBy(e => e).Take(used).ToArray();
            Assert.Equal(order, gotIds.AsSpan(t * used, used).ToArray());
            double max = row[order[0]], z = order.Sum(e => Math.Exp(row[e] - max));
            for (int j = 0; j < used; j++) Assert.Equal(Math.Exp(row[order[j]] - max) / z, gotProbs[t * used + j], 1e-6);
        }
    }

    // The forward pass's order: attention output added to the residual, its RMSNorm, the router (a GPU runs one token's
    // three as one kernel, CudaKernels.MatVecRoute; two tokens as before). Every result is read only at the end.
    [Theory]
    [InlineData("cpu", 1, 128, 64)] [InlineData("cuda", 1, 128, 64)] [InlineData("cuda", 2, 128, 64)]
    [InlineData("cuda", 1, 256, 256, 8)]   // the "small" preset's widths
    [InlineData("cpu", 1, 4096, 2880)] [InlineData("cuda", 1, 4096, 2880)]   // gpt-oss's widths
    public void AttentionOutputNormAndRouteInOneStep(string backend, int tokens, int attn, int embd, int experts = 32)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(attn + tokens);
        const int used = 4;
        using var weights = RouterAndProjection(rng, attn, embd, experts);
        var w = weights.Load(b);
        var x = RandomValues(rng, tokens * attn, 3);
        var h = RandomValues(rng, tokens * embd);
        using var input = b.Tensor(tokens, attn, x);
        using var scratch = b.NewTensor(GgmlType.F32, tokens, embd);
        using var residual = b.Tensor(tokens, embd, h);
        using var normed = b.NewTensor(GgmlType.F32, tokens, embd);
        using var logits = b.NewTensor(GgmlType.F32, tokens, experts);
        using var ids = b.NewTensor(GgmlType.I32, tokens, used);
        using var probs = b.NewTensor(GgmlType.F32, tokens, used);

        b.MatMulBiasAdd(w["proj"], w["proj_b"], input, scratch, residual);
        b.RmsNorm(residual, w["norm"], 1e-5f, normed);
        b.Route(w["router"], w["router_b"], normed, logits, ids, probs);

        var gotResidual = b.ReadFloats(residual);
        var expected = new float[tokens * embd];
        for (int t = 0; t < tokens; t++)
        {
            var y = Product(weights.Values("proj"), 0, attn, embd, MultipliedRows(backend, GgmlType.Q8_0, tokens, x, attn), t, weights.Values("proj_b"));
            for (int i = 0; i < embd; i++) expected[t * embd + i] = h[t * embd + i] + y[i];
        }
        Tolerance.Close(expected, gotResidual, Exact, "attention output added to the residual");
        var gotNorm = b.ReadFloats(normed);
        Tolerance.Close(RmsNormed(gotResidual, weights.Values("norm"), tokens, embd), gotNorm, Exact, "RmsNorm of the residual");
        CheckRoute(b, weights, gotNorm, tokens, embd, logits, ids, probs);
    }

    [Theory]
    [InlineData("cpu", 1)] [InlineData("cpu", 6)] [InlineData("cuda", 1)] [InlineData("cuda", 6)] [InlineData("cuda", 513)]
    [InlineData("cpu", 4, 2880)] [InlineData("cuda", 4, 2880)]   // gpt-oss's width: four rows of x fill most of 48 KiB of shared memory
    public void RouteMatMulBiasAddAndNorm(string backend, int tokens, int embd = 64)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(tokens);
        const int experts = 32, used = 4;
        using var weights = RouterAndProjection(rng, embd, embd, experts);
        var w = weights.Load(b);
        var x = RandomValues(rng, tokens * embd, 3);
        var h = RandomValues(rng, tokens * embd);
        using var input = b.Tensor(tokens, embd, x);
        using var normed = b.NewTensor(GgmlType.F32, tokens, embd);
        using var logits = b.NewTensor(GgmlType.F32, tokens, experts);
        using var ids = b.NewTensor(GgmlType.I32, tokens, used);
        using var probs = b.NewTensor(GgmlType.F32, tokens, used);
        using var scratch = b.NewTensor(GgmlType.F32, tokens, embd);
        using var residual = b.Tensor(tokens, embd, h);

        b.RmsNorm(input, w["norm"], 1e-5f, normed);
        var gotNorm = b.ReadFloats(normed);
        Tolerance.Close(RmsNormed(x, weights.Values("norm"), tokens, embd), gotNorm, Exact, "RmsNorm");

        b.Route(w["router"], w["router_b"], normed, logits, ids, probs);
        CheckRoute(b, weights, gotNorm, tokens, embd, logits, ids, probs);

        b.MatMulBiasAdd(w["proj"], w["proj_b"], normed, scratch, residual);
        var expected = new float[tokens * embd];
        for (int t = 0; t < tokens; t++)
        {
            var y = Product(weights.Values("proj"), 0, embd, embd, MultipliedRows(backend, GgmlType.Q8_0, tokens, gotNorm, embd), t, weights.Values("proj_b"));
            for (int i = 0; i < embd; i++) expected[t * embd + i] = h[t * embd + i] + y[i];
        }
        Tolerance.Close(expected, b.ReadFloats(residual), ProductTolerance(backend, GgmlType.Q8_0, tokens), "projection added to the residual");
    }

    // IBackend.ViewRows: the first rows of a tensor in its memory; ops on views read and write those rows.
    [Theory]
    [InlineData("cpu")] [InlineData("cuda")]
    public void ViewsAreTheFirstRowsOfATensor(string backend)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(11);
        const int rows = 6, n = 40, viewed = 4;
        var x = RandomValues(rng, rows * n);
        var y = RandomValues(rng, rows * n);
        using var pool = b.Tensor(rows, n, x);
        using var other = b.Tensor(rows, n, y);
        using (var view = b.ViewRows(pool, viewed))
        using (var addend = b.ViewRows(other, viewed))
        {
            Assert.Equal((viewed, n), (view.Rows, view.Columns));
            Assert.Equal(x[..(viewed * n)], b.ReadFloats(view));
            b.Add(view, addend);
        }
        var expected = x.Select((v, i) => i < viewed * n ? v + y[i] : v).ToArray();
        Assert.Equal(expected, b.ReadFloats(pool));   // the views are gone, the tensor holds their writes

        int[] ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
        using var indices = b.Indices(3, 4, ids);
        using (var first = b.ViewRows(indices, 2))
        {
            Assert.Equal(ids[..8], b.ReadInts(first));
            b.Write([7, 7], first, 6);
        }
        Assert.Equal([3, 1, 4, 1, 5, 9, 7, 7, 5, 3, 5, 8], b.ReadInts(indices));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.ViewRows(pool, rows + 1));
    }

    // Writes land in the order they were made, however many come before the next op and however they overlap. The CUDA
    // backend queues a run of small writes and applies them with one kernel that reads them from page-locked memory
    // (CudaStream.QueueInput); a long write, an op or a read takes the queue first.
    [Theory]
    [InlineData("cpu")] [InlineData("cuda")]
    public void WritesLandInTheOrderMade(string backend)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(17);
        const int n = 1500;   // 6,000 bytes: past the longest write the CUDA backend queues
        using var ints = b.NewTensor(GgmlType.I32, 1, n);
        using var fa = b.NewTensor(GgmlType.F32, 1, 8);
        using var fb = b.NewTensor(GgmlType.F32, 1, 8);
        var (expectedInts, expectedA, expectedB) = (new int[n], new float[8], new float[8]);
        b.Write(expectedInts, ints);
        b.Write(expectedA, fa);
        b.Write(expectedB, fb);
        long gathered = (b as CudaBackend)?.GatheredInputs ?? 0;
        for (int round = 0; round < 60; round++)
        {
            for (int w = rng.Next(1, 20); w > 0; w--)
            {
                switch (rng.Next(5))
                {
                    case 0:
                        var a = RandomValues(rng, 8);
                        b.Write(a, fa);
                        a.CopyTo(expectedA, 0);
                        break;
                    case 1:
                        var c = RandomValues(rng, 8);
                        b.Write(c, fb);
                        c.CopyTo(expectedB, 0);
                        break;
                    default:
                        int length = rng.Next(6) == 0 ? rng.Next(1, n + 1) : rng.Next(1, 9);   // mostly a few values
                        int at = rng.Next(rng.Next(3) == 0 ? 16 : n - length + 1);             // often over the same ones
                        at = Math.Min(at, n - length);
                        var v = Enumerable.Range(0, length).Select(_ => rng.Next()).ToArray();
                        b.Write(v, ints, at);
                        v.CopyTo(expectedInts, at);
                        break;
                }
            }
            if (rng.Next(2) == 0)
            {
                b.Add(fa, fb);   // reads both as last written
                for (int i = 0; i < 8; i++) expectedA[i] += expectedB[i];
            }
            if (rng.Next(3) == 0 || round == 59)
            {
                Assert.Equal(expectedInts, b.ReadInts(ints));
                Assert.Equal(expectedA, b.ReadFloats(fa));
                Assert.Equal(expectedB, b.ReadFloats(fb));
            }
        }
        if (b is CudaBackend cuda)
            Assert.True(cuda.GatheredInputs > gathered, "no write was applied by the gathering kernel");
    }

    [Theory]
    [InlineData("cpu")] [InlineData("cuda")]
    public void ElementwiseOps(string backend)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(5);
        const int n = 96, tokens = 5, used = 3, experts = 4;
        using var weights = new TestWeights().AddF32("bias", [n], RandomValues(rng, n)).AddF32("ebias", [n, experts], RandomValues(rng, n * experts));
        var w = weights.Load(b);
        var x = RandomValues(rng, tokens * used * n, 10);
        var y = RandomValues(rng, tokens * used * n, 10);
        var ids = RandomExperts(rng, tokens, used, experts);
        var mix = RandomValues(rng, tokens * used);

        using var a = b.Tensor(tokens, n, x[..(tokens * n)]);
        using var addend = b.Tensor(tokens, n, y[..(tokens * n)]);
        b.Add(a, addend);
        b.AddBias(a, w["bias"]);
        var bias = weights.Values("bias");
        Tolerance.Close(Enumerable.Range(0, tokens * n).Select(i => x[i] + y[i] + bias[i % n]).ToArray(), b.ReadFloats(a), Exact, "Add + AddBias");

        using var slots = b.Tensor(tokens * used, n, x);
        using var chosen = b.Indices(tokens, used, ids);
        b.AddExpertBias(slots, w["ebias"], chosen);
        var ebias = weights.Values("ebias");
        Tolerance.Close(Enumerable.Range(0, tokens * used * n).Select(i => x[i] + ebias[ids[i / n] * n + i % n]).ToArray(), b.ReadFloats(slots), Exact, "AddExpertBias");

        using var g = b.Tensor(tokens * used, n, x);
        using var u = b.Tensor(tokens * used, n, y);
        using var act = b.NewTensor(GgmlType.F32, tokens * used, n);
        b.SwiGluOai(g, u, 1.702f, 7f, act);
        Tolerance.Close(Enumerable.Range(0, x.Length).Select(i => SwiGlu(x[i], y[i])).ToArray(), b.ReadFloats(act), Exact, "SwiGluOai");

        using var weightsT = b.Tensor(tokens, used, mix);
        using var sum = b.NewTensor(GgmlType.F32, tokens, n);
        b.WeightedSum(g, weightsT, sum);
        var expected = new float[tokens * n];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < n; i++)
                expected[t * n + i] = (float)Enumerable.Range(0, used).Sum(j => (double)mix[t * used + j] * x[(t * used + j) * n + i]);
        Tolerance.Close(expected, b.ReadFloats(sum), Exact, "WeightedSum");
    }

    [Theory]
    [InlineData("cpu", GgmlType.Q8_0)] [InlineData("cpu", GgmlType.F16)]
    [InlineData("cuda", GgmlType.Q8_0)] [InlineData("cuda", GgmlType.F16)] [InlineData("cuda", GgmlType.F32)] [InlineData("cuda", GgmlType.MXFP4)]
    public void GetRowsDequantisesTheTokensRows(string backend, GgmlType type)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(3);
        const int k = 64, vocab = 50;
        using var weights = new TestWeights().AddRandom("embd", type, [k, vocab], rng);
        var w = weights.Load(b)["embd"];
        int[] tokens = [7, 0, 49, 7, 13];
        using var ids = b.Indices(1, tokens.Length, tokens);
        using var rows = b.NewTensor(GgmlType.F32, tokens.Length, k);
        b.GetRows(w, ids, rows);
        var values = weights.Values("embd");
        Tolerance.Close(tokens.SelectMany(t => values.AsSpan(t * k, k).ToArray()).ToArray(), b.ReadFloats(rows), Exact, "GetRows");
    }

    // A table left in host memory (the token embedding) and read there by the backend: CUDA registers its pages and its
    // kernel reads the GGUF blocks over the bus. 3,001 rows of 64 values span many pages (the table's start need not be
    // page-aligned), and the last rows are read. The same bits: the same products as the host's dequantisation.
    [Theory]
    [InlineData("cpu", GgmlType.Q8_0)]
    [InlineData("cuda", GgmlType.Q8_0)] [InlineData("cuda", GgmlType.F16)] [InlineData("cuda", GgmlType.F32)] [InlineData("cuda", GgmlType.MXFP4)]
    public void GetRowsReadsAHostTableInPlace(string backend, GgmlType type)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(4);
        const int k = 64, vocab = 3001;
        using var weights = new TestWeights().AddF32("before", [5], [1, 2, 3, 4, 5]).AddRandom("embd", type, [k, vocab], rng);
        var w = weights.Map()["embd"];
        Assert.Equal(Device.Cpu, w.Device);
        Assert.True(b.ReadHostTableInPlace(w), (b as CudaBackend)?.HostTableFailure);
        int[] tokens = [3000, 0, 1500, 3000, 64, 2999];
        using var ids = b.Indices(1, tokens.Length, tokens);
        using var rows = b.NewTensor(GgmlType.F32, tokens.Length, k);
        b.GetRows(w, ids, rows);
        var values = weights.Values("embd");
        Assert.Equal(tokens.SelectMany(t => values.AsSpan(t * k, k).ToArray()).ToArray(), b.ReadFloats(rows));
        b.ReleaseHostTable(w);
    }

    // The forward pass's order for a sliding-window layer: Q, K, V products, RoPE and the cache store, then the keys and
    // values into the layer's history at their positions (a GPU runs the decode rows' four ops as one kernel). The history
    // rows hold the bits the cache rows hold; nothing else of the history is written.
    [Theory]
    [InlineData("cpu", 1, GgmlType.F16)] [InlineData("cuda", 1, GgmlType.F16)] [InlineData("cuda", 3, GgmlType.F16)]
    [InlineData("cuda", 1, GgmlType.F32)] [InlineData("cuda", 40, GgmlType.F16)]
    public void ProductsRopeStoreAndHistoryInOneStep(string backend, int tokens, GgmlType cacheType)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(tokens);
        const int k = 128, d = 64, qHeads = 4, kvHeads = 2, slots = 48, context = 3001;
        int[] rows = [qHeads * d, kvHeads * d, kvHeads * d];
        var rope = new YarnRope(d, 150000f, 32f, 4096);
        using var weights = new TestWeights();
        for (int i = 0; i < 3; i++)
            weights.AddRandom($"w{i}", GgmlType.Q8_0, [k, rows[i]], rng).AddF32($"b{i}", [rows[i]], RandomValues(rng, rows[i]));
        var loaded = weights.Load(b);
        var x = RandomValues(rng, tokens * k);
        int[] positions = Enumerable.Range(0, tokens).Select(t => t == tokens - 1 ? 3000 : 5 + t).ToArray();
        int[] slotIds = Enumerable.Range(0, tokens).Select(t => (9 + t) % slots).ToArray();
        using var input = b.Tensor(tokens, k, x);
        var outputs = rows.Select(r => b.NewTensor(GgmlType.F32, tokens, r)).ToArray();
        using var pos = b.Indices(1, tokens, positions);
        using var slotT = b.Indices(1, tokens, slotIds);
        using var keys = b.NewTensor(cacheType, slots, kvHeads * d);
        using var values = b.NewTensor(cacheType, slots, kvHeads * d);
        using var historyKeys = b.NewTensor(cacheType, context, kvHeads * d);
        using var historyValues = b.NewTensor(cacheType, context, kvHeads * d);

        b.MatMulManyBias([loaded["w0"], loaded["w1"], loaded["w2"]], [loaded["b0"], loaded["b1"], loaded["b2"]], input, outputs);
        b.RopeStore(outputs[0], outputs[1], outputs[2], pos, rope, keys, values, slotT);
        b.SetRows(outputs[1], historyKeys, pos);
        b.SetRows(outputs[2], historyValues, pos);

        var table = new float[d];
        for (int i = 0; i < 3; i++)
        {
            var (wv, bv) = (weights.Values($"w{i}"), weights.Values($"b{i}"));
            var expected = Enumerable.Range(0, tokens).SelectMany(t => Product(wv, 0, k, rows[i], MultipliedRows(backend, GgmlType.Q8_0, tokens, x, k), t, bv)).ToArray();
            for (int t = 0; i < 2 && t < tokens; t++)
            {
                rope.CosSin(positions[t], table);
                for (int h = 0; h < rows[i] / d; h++) rope.RotateNeox(expected.AsSpan((t * rows[i] / d + h) * d, d), table);
            }
            Tolerance.Close(expected, b.ReadFloats(outputs[i]), ProductTolerance(backend, GgmlType.Q8_0, tokens), $"output {i}, roped");
        }
        int width = kvHeads * d;
        var (cachedKeys, cachedValues) = (b.ReadFloats(keys), b.ReadFloats(values));
        var (keptKeys, keptValues) = (b.ReadFloats(historyKeys), b.ReadFloats(historyValues));
        var (k1, v1) = (b.ReadFloats(outputs[1]), b.ReadFloats(outputs[2]));
        double tol = cacheType == GgmlType.F16 ? 1e-3 : 0;   // the F16 rounding of the cache
        for (int t = 0; t < tokens; t++)
        {
            Assert.Equal(cachedKeys.AsSpan(slotIds[t] * width, width).ToArray(), keptKeys.AsSpan(positions[t] * width, width).ToArray());
            Assert.Equal(cachedValues.AsSpan(slotIds[t] * width, width).ToArray(), keptValues.AsSpan(positions[t] * width, width).ToArray());
            Tolerance.Close(k1.AsSpan(t * width, width), keptKeys.AsSpan(positions[t] * width, width), tol, $"kept key of token {t}");
            Tolerance.Close(v1.AsSpan(t * width, width), keptValues.AsSpan(positions[t] * width, width), tol, $"kept value of token {t}");
        }
        int written = positions.Length;
        Assert.Equal(written * width, keptKeys.Count(v => v != 0f));
        Assert.Equal(written * width, keptValues.Count(v => v != 0f));
        foreach (var o in outputs) o.Dispose();
    }

    [Theory]
    [InlineData("cpu", 16, GgmlType.F16)] [InlineData("cpu", 64, GgmlType.F32)]
    [InlineData("cuda", 16, GgmlType.F16)] [InlineData("cuda", 32, GgmlType.F32)] [InlineData("cuda", 64, GgmlType.F16)]
    public void RopeStoreRotatesAndFillsTheCache(string backend, int d, GgmlType cacheType)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(d);
        var rope = new YarnRope(d, 150000f, 32f, 4096);
        const int tokens = 4, qHeads = 4, kvHeads = 2, slots = 10;
        var q = RandomValues(rng, tokens * qHeads * d);
        var k = RandomValues(rng, tokens * kvHeads * d);
        var v = RandomValues(rng, tokens * kvHeads * d);
        int[] positions = [5, 6, 7, 3000];
        int[] slotIds = [9, 0, 1, 4];
        using var qt = b.Tensor(tokens, qHeads * d, q);
        using var kt = b.Tensor(tokens, kvHeads * d, k);
        using var vt = b.Tensor(tokens, kvHeads * d, v);
        using var pos = b.Indices(1, tokens, positions);
        using var slotT = b.Indices(1, tokens, slotIds);
        using var keys = b.NewTensor(cacheType, slots, kvHeads * d);
        using var values = b.NewTensor(cacheType, slots, kvHeads * d);
        b.RopeStore(qt, kt, vt, pos, rope, keys, values, slotT);

        float[] Rotate(float[] x, int heads)
        {
            var result = (float[])x.Clone();
            var table = new float[d];
            for (int t = 0; t < tokens; t++)
            {
                rope.CosSin(positions[t], table);
                for (int h = 0; h < heads; h++) rope.RotateNeox(result.AsSpan((t * heads + h) * d, d), table);
            }
            return result;
        }
        var (qr, kr) = (Rotate(q, qHeads), Rotate(k, kvHeads));
        Tolerance.Close(qr, b.ReadFloats(qt), Exact, "rotated queries");
        var cachedKeys = b.ReadFloats(keys);
        var cachedValues = b.ReadFloats(values);
        double tol = cacheType == GgmlType.F16 ? 1e-3 : Exact;   // F16 rounding of the cache
        for (int t = 0; t < tokens; t++)
        {
            Tolerance.Close(kr.AsSpan(t * kvHeads * d, kvHeads * d), cachedKeys.AsSpan(slotIds[t] * kvHeads * d, kvHeads * d), tol, $"key of token {t}");
            Tolerance.Close(v.AsSpan(t * kvHeads * d, kvHeads * d), cachedValues.AsSpan(slotIds[t] * kvHeads * d, kvHeads * d), tol, $"value of token {t}");
        }
        Assert.All(cachedKeys.AsSpan(2 * kvHeads * d, 2 * kvHeads * d).ToArray(), x => Assert.Equal(0f, x));   // slots 2, 3 untouched
    }

    public static TheoryData<string, int, int, int, int, int, GgmlType> AttentionCases()
    {
        var data = new TheoryData<string, int, int, int, int, int, GgmlType>();
        foreach (var backend in new[] { "cpu", "cuda" })
            foreach (var (heads, kvHeads, d) in new[] { (4, 2, 16), (8, 2, 32), (64, 8, 64) })
                foreach (var (tokens, window) in new[] { (1, 0), (1, 8), (7, 0), (70, 0), (70, 16) })
                    foreach (var type in new[] { GgmlType.F16, GgmlType.F32 })
                        data.Add(backend, heads, kvHeads, d, tokens, window, type);
        return data;
    }

    [Theory, MemberData(nameof(AttentionCases))]
    public void AttentionWithSinksOverTheCache(string backend, int heads, int kvHeads, int d, int tokens, int window, GgmlType type) =>
        CheckAttention(backend, heads, kvHeads, d, tokens, window, type, slots: 300, filled: 200, gap: 0);

    public static TheoryData<string, int, int, int, int, int, GgmlType> DeepAttentionCases()
    {
        var data = new TheoryData<string, int, int, int, int, int, GgmlType>();
        foreach (var backend in new[] { "cpu", "cuda" })
        {
            foreach (var (tokens, window) in new[] { (1, 0), (1, 128), (3, 0) })
                data.Add(backend, 64, 8, 64, tokens, window, GgmlType.F16);
            data.Add(backend, 8, 2, 32, 1, 0, GgmlType.F32);
            data.Add(backend, 4, 2, 16, 2, 0, GgmlType.F16);
            data.Add(backend, 8, 4, 128, 1, 0, GgmlType.F16);
            data.Add(backend, 8, 4, 64, 1, 0, GgmlType.F32);
        }
        return data;
    }

    [Theory, MemberData(nameof(DeepAttentionCases))]
    public void AttentionDecodeOverADeepCache(string backend, int heads, int kvHeads, int d, int tokens, int window, GgmlType type)
    {
        // 6,000 slots: the GPU's decode chunks hold several tiles of 32 slots (each tile's keys and values are loaded while
        // the one before is computed), runs of 41 empty slots leave whole tiles with nothing visible (skipped), and the
        // combine merges tens of chunks.
        CheckAttention(backend, heads, kvHeads, d, tokens, window, type, slots: 6000, filled: 5500, gap: 41);
    }

    [Theory, InlineData("cpu"), InlineData("cuda")]
    public void AttentionDecodeOverLongChunks(string backend)
    {
        // 100,000 slots: the GPU's tensor-core decode takes chunks of 2,096 slots, 131 tiles of 16 (33 per warp), where
        // the deep case above has 8; runs of 41 empty slots leave some tiles with nothing visible.
        CheckAttention(backend, 8, 1, 64, 1, 0, GgmlType.F16, slots: 100_000, filled: 99_000, gap: 41);
    }

    public static TheoryData<string, int, int, int, int, int, int> SmallCacheCases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int>();
        foreach (var backend in new[] { "cpu", "cuda" })
        {
            foreach (var (tokens, window, filled) in new[] { (1, 0, 100), (1, 16, 100), (3, 0, 100), (1, 0, 0) })
                data.Add(backend, 64, 8, tokens, window, filled, 128);
            data.Add(backend, 4, 2, 1, 0, 200, 256);
            data.Add(backend, 64, 8, 2, 0, 7, 9);
            data.Add(backend, 64, 8, 1, 128, 600, 640);   // a sliding window's ring: chunks and the combine
        }
        return data;
    }

    [Theory, MemberData(nameof(SmallCacheCases))]
    public void AttentionDecodeOverASmallCache(string backend, int heads, int kvHeads, int tokens, int window, int filled, int slots)
    {
        // Up to 256 slots the GPU's tensor-core decode takes the whole cache in one chunk per kv head and adds the sink in
        // the same kernel (no combine); a cache with nothing visible gives zeros.
        CheckAttention(backend, heads, kvHeads, 64, tokens, window, GgmlType.F16, slots, filled, gap: 0);
    }

    public static TheoryData<string, int, int, int, int> ByPositionCases()
    {
        var data = new TheoryData<string, int, int, int, int>();
        foreach (var backend in new[] { "cpu", "cuda" })
        {
            data.Add(backend, 1, 128, 5000, 640);   // a ring that wrapped many times: the window's 128 slots, one chunk
            data.Add(backend, 3, 128, 1000, 640);   // three rows, each its own window
            data.Add(backend, 8, 128, 700, 640);    // eight rows; some windows wrap past the ring's last slot
            data.Add(backend, 1, 128, 60, 640);     // a query at position 59: the window reaches back before position 0
            data.Add(backend, 2, 300, 2000, 812);   // a window over 256 keys: chunks of the window, then the combine
            data.Add(backend, 1, 16, 3000, 144);    // a small window in a small ring
            data.Add(backend, 1, 128, 100, 128);    // a window as long as the cache: every slot looked at, as without
            data.Add(backend, 1, 0, 100, 4096);     // full attention, a shallow query in a large cache: slots 0 .. 99 only
            data.Add(backend, 3, 0, 5000, 6000);    // full attention, deep: chunks sized for each row's own prefix
            data.Add(backend, 2, 0, 60, 200);       // full attention in one chunk (up to 256 slots), bounded by the rows
            data.Add(backend, 1, 0, 3000, 640);     // full attention over a ring that wrapped: every slot
        }
        return data;
    }

    [Theory, MemberData(nameof(ByPositionCases))]
    public void AttentionDecodeOverACacheLaidOutByPosition(string backend, int tokens, int window, int filled, int slots)
    {
        // The cache as KvSlotMap lays it out (position p in slot p mod slots, later positions overwriting earlier ones,
        // runs of 3 of every 97 positions never written) and the caller saying so: the GPU's tensor-core decode then walks
        // only the window's slots behind each query, or (full attention) the slots up to its position.
        CheckAttention(backend, 64, 8, 64, tokens, window, GgmlType.F16, slots, filled, gap: 3, byPosition: true);
    }

    // Positions first..first+filled−1 in a rotated ring of `slots` (the rest empty), except that of every 97 positions the
    // first `gap` are left out; the queries are the last `tokens` positions. byPosition: positions from 0, position p in
    // slot p mod slots (a later position overwrites an earlier one), and the backend told so.
    private static void CheckAttention(string backend, int heads, int kvHeads, int d, int tokens, int window, GgmlType type,
                                       int slots, int filled, int gap, bool byPosition = false)
    {
        using var b = TestBackends.Create(backend);
        var rng = new Random(heads * 31 + tokens * 7 + window + slots);
        int first = byPosition ? 0 : 150;
        var kpos = Enumerable.Repeat(-1, slots).ToArray();
        for (int i = 0; i < filled; i++)
            if (i % 97 >= gap) kpos[byPosition ? (first + i) % slots : (i + 37) % slots] = first + i;
        // Queries: the last `tokens` positions held by the cache.
        var qpos = Enumerable.Range(first + filled - tokens, tokens).ToArray();
        var q = RandomValues(rng, tokens * heads * d);
        var k = RandomValues(rng, slots * kvHeads * d);
        var v = RandomValues(rng, slots * kvHeads * d);
        using var weights = new TestWeights().AddF32("sinks", [heads], RandomValues(rng, heads, 3));
        var sinks = weights.Load(b)["sinks"];
        using var qt = b.Tensor(tokens, heads * d, q);
        using var keys = b.Tensor(slots, kvHeads * d, k, type);
        using var values = b.Tensor(slots, kvHeads * d, v, type);
        using var qp = b.Indices(1, tokens, qpos);
        using var kp = b.Indices(1, slots, kpos);
        using var output = b.NewTensor(GgmlType.F32, tokens, heads * d);
        float scale = 1f / MathF.Sqrt(d);
        b.Attention(qt, keys, values, qp, kp, slots, window, sinks, scale, output, byPosition);

        var (kc, vc, sv) = (b.ReadFloats(keys), b.ReadFloats(values), weights.Values("sinks"));   // as the cache holds them
        var expected = new float[tokens * heads * d];
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int g = h / group;
                var scores = new List<(double S, int Slot)>();
                for (int s = 0; s < slots; s++)
                {
                    if (!AttentionMask.IsVisible(qpos[t], kpos[s], window)) continue;
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += (double)q[(t * heads + h) * d + i] * kc[(s * kvHeads + g) * d + i];
                    scores.Add((scale * dot, s));
                }
                double m = Math.Max(sv[h], scores.Count == 0 ? double.NegativeInfinity : scores.Max(x => x.S));
                double z = Math.Exp(sv[h] - m) + scores.Sum(x => Math.Exp(x.S - m));
                for (int i = 0; i < d; i++)
                    expected[(t * heads + h) * d + i] = (float)(scores.Sum(x => Math.Exp(x.S - m) * vc[(x.Slot * kvHeads + g) * d + i]) / z);
            }
        // The GPU decodes an F16 cache of 64-wide heads on tensor cores by default (queries rounded to F16 for the products:
        // 2e-4); its CUDA-core decode and its prefill take the queries as given, as the CPU does (2e-5).
        bool tensorCores = b is Tessera.Backends.Cuda.CudaBackend { TensorCoreDecode: true } && type == GgmlType.F16 && d == 64
            && tokens <= Tessera.Backends.Cuda.CudaKernels.AttentionDecodeMaxRows;
        var got = b.ReadFloats(output);
        Tolerance.Close(expected, got, tensorCores ? 2e-4 : 2e-5, $"attention {heads}/{kvHeads}×{d}, {tokens} tokens, window {window}, {type} cache");
        if (tensorCores && b is Tessera.Backends.Cuda.CudaBackend cuda)
        {
            // Keys and values requested before the programmatic-launch wait or after it: the same bits.
            cuda.EarlyAttentionLoads = false;
            b.Attention(qt, keys, values, qp, kp, slots, window, sinks, scale, output, byPosition);
            Assert.Equal(got, b.ReadFloats(output));
            cuda.EarlyAttentionLoads = true;
            if (byPosition)
            {
                cuda.WindowSlots = cuda.PrefixSlots = false;   // every slot in chunks, as for a cache of another layout
                b.Attention(qt, keys, values, qp, kp, slots, window, sinks, scale, output, byPosition);
                Tolerance.Close(expected, b.ReadFloats(output), 2e-4, $"attention over every slot, {tokens} tokens, window {window}");
                cuda.WindowSlots = cuda.PrefixSlots = true;
            }
            cuda.TensorCoreDecode = false;
            b.Attention(qt, keys, values, qp, kp, slots, window, sinks, scale, output, byPosition);
            Tolerance.Close(expected, b.ReadFloats(output), 2e-5, $"attention on CUDA cores, {heads}/{kvHeads}×{d}, {tokens} tokens, window {window}");
        }
    }
}
