// The launchers of the weight products on the GPU (modules weights.cu, matvec.cu, gemm.cu): repacking ggml blocks on
// upload, dense mat-muls (one weight, or Q/K/V of one input), and the expert products of a mixture-of-experts layer.
// Each picks its path from the number of token rows:
//   dense   T ≤ MatVecMaxTokens (4): matrix-vector kernel, one warp per 2 output rows (a block of 8 warps per row for
//           at most MvSplitMaxRows rows, K split over the warps), each weight byte read once with 16-byte loads for all T
//           rows of x (x in shared memory); more rows (MmaMinTokens): tensor-core GEMM (128 rows × 64 tokens, a 4-stage
//           cp.async pipeline in dynamic shared memory): for Q8_0 and MXFP4 weights on integer tensor cores with x
//           quantised to Q8_0 as the CPU backend quantises it (IntegerPrefill, the default), else and for F16 weights
//           with x rounded to f16 (mma.sync f16, weights exact, fp32 accumulation), so that every batch rounds x as the
//           CPU backend does; F32 weights (the router), and rows of x too long for the matrix-vector kernel's shared
//           memory below MmaMinTokens, take the tiled fp32 GEMM (64 rows × 64 tokens).
//   experts T·k ≤ ExpertMatVecMaxSlots (16): per-slot matrix-vector kernels (gate+up+SwiGLU in one kernel, 2 gate and 2 up
//           rows per warp; down with the weighted sum over the k slots in one kernel, a warp per output row reading the
//           rows of 4 slots at once); larger: a device-side counting sort of the slots by expert
//           (one block), then a grouped GEMM (grid = ceil(T·k/64) + experts tiles, extra blocks exit) into scratch or y,
//           and a small elementwise kernel (SwiGLU, weighted add). The grouped GEMM is the tensor-core one from
//           MmaMinSlots slots, every count the per-slot kernels leave to it (F16, Q8_0, MXFP4; it reads the slots' x rows
//           gathered in sorted order into scratch by a small kernel first: quantised to Q8_0 on the integer path, as f16
//           on the other), the fp32 one for F32 weights.
// Nothing here synchronises, allocates or reads device data on the host, so every launcher can be captured in a graph.

using Tessera.Quants;

namespace Tessera.Backends.Cuda;

internal sealed partial class CudaKernels
{
    /// <summary>Dense products with at most this many token rows use the matrix-vector kernel, more use the GEMM.</summary>
    internal const int MatVecMaxTokens = 4;

    /// <summary>Expert products with at most this many slots (T·k) use the per-slot matrix-vector kernels.</summary>
    internal const int ExpertMatVecMaxSlots = 16;

    /// <summary>Dense products with at least this many token rows use the tensor-core GEMM (F16, Q8_0 and MXFP4 weights):
    /// results then carry the rounding of x to Q8_0 (Q8_0 and MXFP4 weights on the integer path, <see cref="IntegerPrefill"/>)
    /// or to f16 (about 2e-4 relative RMS), as the CPU backend's do. That is every batch the matrix-vector kernel does not
    /// take; TESSERA_CUDA_MMA_MIN="rows,slots" raises both thresholds for measurement (32,32: the earlier thresholds, with
    /// the fp32 GEMM and x unrounded from 5 to 31 rows).</summary>
    internal static readonly int MmaMinTokens = MmaThreshold(0, MatVecMaxTokens + 1);

    /// <summary>Expert products with at least this many slots (T·k) use the tensor-core grouped GEMM (F16, Q8_0, MXFP4):
    /// every count the per-slot kernels do not take.</summary>
    internal static readonly int MmaMinSlots = MmaThreshold(1, ExpertMatVecMaxSlots + 1);

    private static int MmaThreshold(int which, int fallback) =>
        Environment.GetEnvironmentVariable("TESSERA_CUDA_MMA_MIN")?.Split(',') is { } parts && parts.Length > which
        && int.TryParse(parts[which], out int v) && v >= fallback ? v : fallback;

    /// <summary>The most experts the device-side sort handles (its per-warp counters live in shared memory).</summary>
    internal const int MaxExperts = 256;

    private const int MvWarps = 8;             // MV_WARPS in matvec.cu: a block of 8 warps, one task per warp per pass
    private const int MvThreads = 256;
    // Grid sizes of the matrix-vector kernels; TESSERA_CUDA_MV_GRID="dense,gateup,down,waves,densewaves" overrides them for
    // tuning.
    private static readonly int[] MvGrid = ParseGrid(Environment.GetEnvironmentVariable("TESSERA_CUDA_MV_GRID"), [1024, 0, 192, 2, 1]);
    private static readonly int MvTargetBlocks = MvGrid[0];       // matrix-vector grids stride over tasks beyond this many blocks
    // Gate-up: x staged per block; by default one wave of resident blocks (264 on an H200: tg128 455 against 440 with the
    // 384 of before, docs/cuda-backend.md).
    private int MvGateUpTargetBlocks => MvGrid[1] > 0 ? MvGrid[1] : Math.Max(1, context.Device.Multiprocessors) * MvResidentBlocks;
    private static readonly int MvDownTargetBlocks = MvGrid[2];   // down-add: k x rows staged per block, so about 2 tasks per warp at T = 1
    private static readonly int MvResidentBlocks = MvGrid[3];     // dense grids: this many blocks per SM (one wave) for long products
    // Dense products of more than this many waves of blocks run as one wave whose warps stride over the tasks: with 1, Q/K/V
    // (2,560 tasks, 320 blocks) is 264 blocks on an H200 instead of a wave and a fifth (tg128 480 against 476,
    // docs/cuda-backend.md).
    private static readonly int MvDenseWaves = MvGrid[4];

    // The last tsr_gate_up_* launch: its stream, the stream's Submitted count after it, its ids, its act, and where it left
    // act quantised (0: it did not) for weights of which type (DownWeightedAdd).
    private (CudaStream? Stream, long At, ulong Ids, ulong Act, ulong Quants, GgmlType Type) _gateUp;

    // The last tsr_matvec1_route_* launch: its stream, the stream's Submitted count after it, its normalised row, and where
    // it left that row quantised (0: it did not) for expert weights of which type (GateUpSwiGlu).
    private (CudaStream? Stream, long At, ulong Normed, ulong Quants, GgmlType Type) _route;

    // The last decode attention: its stream, the stream's Submitted count after its last kernel, its output, where that kernel
    // left that output quantised for Q8_0 weights (0: it did not), and the row's width (MatVecRoute).
    private (CudaStream? Stream, long At, ulong Output, ulong Quants, int Width) _attention;

    /// <summary>Dense decode products of one row of x run the kernels built for one row; TESSERA_CUDA_MV_ONE=0 runs the
    /// kernels for up to four rows instead.</summary>
    public static bool OneRowMatVec { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_MV_ONE") is not "0";

    /// <summary>A sliding-window layer's history stores (SetRows of the roped keys and values at their positions) run in
    /// the decode Q, K, V kernel; TESSERA_CUDA_FUSE_HISTORY=0 runs them as kernels of their own.</summary>
    public static bool FuseHistory { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_FUSE_HISTORY") is not "0";

    /// <summary>On the integer path, the gate-up kernel's last block per slot quantises the slot's activations once for the
    /// down kernel that follows (instead of each of its blocks quantising all of them); TESSERA_CUDA_ACT_Q8=0 turns it
    /// off. The same bits either way.</summary>
    public bool QuantiseActOnce { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_ACT_Q8") is not "0";

    /// <summary>On the integer path, the router's last block (<see cref="MatVecRoute"/>) quantises the normalised row once
    /// for the gate-up kernel that follows (instead of each of its blocks quantising it); TESSERA_CUDA_XN_Q8=0 turns it off.
    /// The same bits either way.</summary>
    public bool QuantiseNormedOnce { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_XN_Q8") is not "0";

    /// <summary>On the integer path, the decode attention's last kernel (the combine, or the one-chunk decode) quantises its output once for a Q8_0 attention
    /// output product in <see cref="MatVecRoute"/> (instead of each of its blocks quantising it); TESSERA_CUDA_ATTN_Q8=0
    /// turns it off. The same bits either way.</summary>
    public bool QuantiseAttentionOnce { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_ATTN_Q8") is not "0";

    /// <summary>Product launches that copied x already quantised by the kernel before them (the attention's output into
    /// <see cref="MatVecRoute"/>, the normalised row from it into the gate-up kernel, act from the gate-up kernel into the
    /// down kernel): a count for tests.</summary>
    public long PreQuantisedLaunches { get; private set; }

    /// <summary>Bytes of the quantised activations <see cref="GateUpSwiGlu"/> may leave for <paramref name="slots"/>
    /// slots of <paramref name="n"/> values (the layout of the integer path's staging: n quants, n/32 float scales,
    /// padded to 16 bytes, per slot).</summary>
    public static long ActQuantBytes(int slots, int n) => (long)slots * ((n + ((n / 8 + 15) & ~15)) & ~15);

    /// <summary>The down kernel requests its first expert weights before it waits for the gate-up kernel (ids written two
    /// kernels before it are visible then); TESSERA_CUDA_EARLY_IDS=0 makes it wait first.</summary>
    public static bool EarlyIds { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_EARLY_IDS") is not "0";

    private static int[] ParseGrid(string? text, int[] defaults)
    {
        if (string.IsNullOrWhiteSpace(text)) return defaults;
        var parts = text.Split(',');
        var result = (int[])defaults.Clone();
        for (int i = 0; i < Math.Min(parts.Length, result.Length); i++)
            if (int.TryParse(parts[i], out int v) && v > 0) result[i] = v;
        return result;
    }
    private const int MvSplitMaxRows = 64;     // dense products with this few rows in all split K over a block's warps
    private const int MvMaxShared = 96 * 1024; // x rows staged per block; beyond this the GEMM path is taken
    private const int GemmTile = 64;           // GM = GN in gemm.cu
    private const int GemmThreads = 256;
    private const int MmaRows = 128;           // MM in gemm.cu (tokens per block: GN = GemmTile)
    private const int MmaStages = 4;           // MSTAGES in gemm.cu: K steps of 32 in flight per block (cp.async)
    private const int MmaStride = 40;          // MSTR in gemm.cu: halves per shared f16 row
    private const int MmaQuantStride = 48;     // QSTR in gemm.cu: bytes per shared int8 row

    /// <summary>Repacks <paramref name="blocks"/> ggml blocks at <paramref name="raw"/> (the GGUF bytes, on the device) into the
    /// value and scale arrays of the device layout (Kernels/common.cuh). F32 and F16 (block = one value) are copied as they are.</summary>
    public void Repack(CudaStream s, GgmlType type, ulong raw, ulong values, ulong scales, long blocks)
    {
        if (blocks <= 0) return;
        switch (type)
        {
            case GgmlType.F32: s.CopyOnDevice(values, raw, blocks * 4); break;
            case GgmlType.F16: s.CopyOnDevice(values, raw, blocks * 2); break;
            case GgmlType.Q8_0:
                s.Launch(F("weights", "tsr_repack_q8_0"), Grid1D(blocks * 8), 256, 0,
                    [KernelArg.Ptr(raw), KernelArg.Ptr(values), KernelArg.Ptr(scales), KernelArg.I64(blocks)]);
                break;
            case GgmlType.MXFP4:
                s.Launch(F("weights", "tsr_repack_mxfp4"), Grid1D(blocks * 4), 256, 0,
                    [KernelArg.Ptr(raw), KernelArg.Ptr(values), KernelArg.Ptr(scales), KernelArg.I64(blocks)]);
                break;
            default: throw new NotSupportedException($"CUDA repack of {type} weights");
        }
    }

    /// <summary>y[t·R + r] = Σ_i W[r, i]·x[t·K + i] (+ bias[r] when bias ≠ 0) for t &lt; T, slice 0 of <paramref name="w"/>.
    /// <paramref name="fuse"/> (only where <see cref="CanFuse"/> says so) adds an RMSNorm of x first, a residual, or the
    /// router's top-k after. <paramref name="xq"/>: scratch of <see cref="QuantisedXBytes"/> where <see cref="QuantisesXFirst"/> says so (else 0).</summary>
    public void MatMul(CudaStream s, in CudaWeightView w, ulong x, ulong y, ulong bias, int T, in MatVecFusion fuse = default, ulong xq = 0)
    {
        if (T <= 0) return;
        string type = Suffix(w.Type);
        CheckShape(w);
        if (UseMatVec(w.K, T))
        {
            LaunchMatVec(s, type, w, y, bias, default, 0, 0, default, 0, 0, x, T, fuse);
            return;
        }
        RequireNoFusion(fuse);
        bool quantised = QuantiseX(s, w.Type, x, T, w.K, xq);
        LaunchGemm(s, type, w, x, y, bias, T, quantised ? xq : 0);
    }

    /// <summary>Whether the tensor-core GEMM of T rows of K values with this weight type reads x quantised to Q8_0 by a kernel
    /// of its own first (<see cref="IntegerPrefill"/>, Q8_0 and MXFP4 weights, <see cref="QuantiseXOnce"/>): then
    /// <see cref="MatMul"/> and <see cref="MatMul3"/> want scratch of <see cref="QuantisedXBytes"/>.</summary>
    public bool QuantisesXFirst(GgmlType type, int K, int T) =>
        QuantiseXOnce && IntegerPrefill && type is GgmlType.Q8_0 or GgmlType.MXFP4 && !UseMatVec(K, T) && T >= MmaMinTokens;

    /// <summary>Bytes of the quantised x of T rows of K values: the quants, then a float scale per 32.</summary>
    public static long QuantisedXBytes(int T, int K) => (long)T * K + (long)T * (K / 32) * 4;

    /// <summary>The integer dense GEMM quantises x once per product (or once for Q, K and V) rather than in every tile of
    /// 128 weight rows (TESSERA_CUDA_PREFILL_XQ=0: in every tile).</summary>
    public bool QuantiseXOnce { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_PREFILL_XQ") is not "0";

    // Quantises the T rows of x into xq (quants in the weight type's order, then the block scales) where the GEMM reads it
    // so; false (nothing launched) otherwise.
    private bool QuantiseX(CudaStream s, GgmlType type, ulong x, int T, int K, ulong xq)
    {
        if (xq == 0 || !QuantisesXFirst(type, K, T)) return false;
        s.Launch(F("gemm", "tsr_gather_xq_" + MmaSuffix(Suffix(type))), Grid1D((long)T * (K / 8)), 256, 0,
            [KernelArg.Ptr(x), KernelArg.I32(1), KernelArg.I32(1), KernelArg.I32(0), KernelArg.Ptr(0),
             KernelArg.I32(K), KernelArg.I32(T), KernelArg.Ptr(xq), KernelArg.Ptr(GatheredScales(xq, T, K))]);
        return true;
    }

    /// <summary>Whether one row of x through <paramref name="w"/> ({K, R}, R a multiple of 4) can take a router after it
    /// (<see cref="MatVecRoute"/>), and a router of <paramref name="E"/> ≤ 32 experts picking k ≤ min(8, E) fits it (left
    /// out: only the product is asked about).</summary>
    public static bool CanFuseRoute(in CudaWeightView w, int E = 1, int k = 1) =>
        OneRowMatVec && UseMatVec(w.K, 1) && w.K % 4 == 0 && w.R % 4 == 0 && E is >= 1 and <= 32 && k >= 1 && k <= Math.Min(8, E);

    /// <summary>One row of x: h = h + (W·x + bias) (W {K, R}), then the router over the RMSNorm of h in the same launch:
    /// xn = RMSNorm(h)·normWeight, logits = router·xn + routerBias (router F32 {R, E}), the top k of the logits with their
    /// softmax into ids [k] and probabilities [k]. The blocks' router sums go to <paramref name="partials"/>
    /// (<see cref="RoutePartialsBytes"/>); the block that finishes last adds them and picks the experts (a ticket counter
    /// at <paramref name="counter"/>, zero before and after).</summary>
    /// <remarks><paramref name="quants"/> (<see cref="ActQuantBytes"/> of one row, 0: none) lets that block also leave xn
    /// quantised for a gate-up kernel of <paramref name="expertType"/> weights that follows
    /// (<see cref="QuantiseNormedOnce"/>).</remarks>
    public void MatVecRoute(CudaStream s, in CudaWeightView w, ulong x, ulong h, ulong bias, in CudaWeightView router, ulong routerBias,
        ulong normWeight, float epsilon, ulong normed, ulong logits, ulong ids, ulong probabilities, int k, ulong counter, ulong partials,
        ulong quants = 0, GgmlType expertType = GgmlType.F32)
    {
        CheckShape(w);
        if (!CanFuseRoute(w, router.R, k) || router.Type != GgmlType.F32 || router.K != w.R)
            throw new InvalidOperationException($"the router ({router.K} → {router.R}, top {k}) cannot run in the product {w.K} → {w.R}");
        int grid = RouteGrid(w);
        // The quantised row's layout is the expert weights' (the order of MXFP4's nibbles, or Q8_0's), whole blocks of 32,
        // at most 3 float4s a thread of the block that writes it.
        int layout = expertType switch { GgmlType.MXFP4 => 139, GgmlType.Q8_0 => 108, _ => 0 };   // TSR_MXFP4_I8, TSR_Q8_0_I8
        if (!(QuantiseNormedOnce && IntegerMatVec && layout != 0 && w.R % 32 == 0 && w.R <= 3 * MvThreads * 4)) quants = 0;
        // The attention's combine just before left x quantised for this product's weights.
        string suffix = MvSuffix(Suffix(w.Type));
        ulong xs = w.Type == GgmlType.Q8_0 && suffix.EndsWith("i8", StringComparison.Ordinal) && _attention.Stream == s
            && _attention.At == s.Submitted && _attention.Output == x && _attention.Quants != 0 && _attention.Width == w.K ? _attention.Quants : 0;
        if (xs != 0) PreQuantisedLaunches++;
        s.Launch(F("matvec", "tsr_matvec1_route_" + suffix), grid, MvThreads, w.K * 4,
        [
            KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.Ptr(h), KernelArg.Ptr(bias), KernelArg.I32(w.R), KernelArg.I32(w.K),
            KernelArg.Ptr(x), KernelArg.Ptr(h), KernelArg.Ptr(router.Values), KernelArg.Ptr(routerBias), KernelArg.Ptr(normWeight),
            KernelArg.F32(epsilon), KernelArg.Ptr(normed), KernelArg.Ptr(logits), KernelArg.Ptr(ids), KernelArg.Ptr(probabilities),
            KernelArg.I32(router.R), KernelArg.I32(k), KernelArg.Ptr(counter), KernelArg.Ptr(partials),
            KernelArg.Ptr(quants), KernelArg.I32(layout), KernelArg.Ptr(xs),
        ]);
        _route = (s, s.Submitted, normed, quants, expertType);
    }

    /// <summary>Scratch bytes <see cref="MatVecRoute"/> needs for the router sums of its blocks.</summary>
    public long RoutePartialsBytes(in CudaWeightView w, int E) => (long)RouteGrid(w) * (E + 1) * sizeof(float);

    private int RouteGrid(in CudaWeightView w) => DenseGrid((w.R + 1L) / 2, out _);

    // The dense kernels' grid for `tasks` tasks of 2 rows, 8 a block: more than MvDenseWaves waves of the blocks all SMs
    // hold at once become one such wave whose warps stride over the tasks (`strided`).
    private int DenseGrid(long tasks, out bool strided)
    {
        long blocks = (tasks + MvWarps - 1) / MvWarps;
        long wave = (long)Math.Max(1, context.Device.Multiprocessors) * MvResidentBlocks;
        strided = blocks > MvDenseWaves * wave;
        return (int)(strided ? wave : blocks);
    }

    /// <summary>Whether a product of T rows of K values runs the matrix-vector kernels, which take a <see cref="MatVecFusion"/>
    /// (RMSNorm fused only up to K = 4,096: one float4 a thread of the RMSNorm kernel; top-k only after up to 64 rows of at
    /// most 256 outputs).</summary>
    public static bool CanFuse(int K, int T, in MatVecFusion fuse, int rows) =>
        UseMatVec(K, T) && K % 4 == 0 && (fuse.NormWeight == 0 || K <= 4096)
        && (fuse.Ids == 0 || (rows <= MvSplitMaxRows && rows <= 256));

    /// <summary>Whether Q, K and V products of T rows of K values into r0, r1, r2 outputs can take RoPE and the cache store
    /// (<see cref="MatVecFusion.RopeTable"/>): the dense matrix-vector kernel, whole heads of an even size, V as wide as K.</summary>
    public static bool CanFuseRope(int K, int T, int r0, int r1, int r2, int headDim) =>
        UseMatVec(K, T) && K % 4 == 0 && r0 + r1 + r2 > MvSplitMaxRows && headDim > 0 && headDim % 2 == 0
        && r0 % headDim == 0 && r1 % headDim == 0 && r2 == r1;

    private static void RequireNoFusion(in MatVecFusion fuse)
    {
        if (!fuse.IsNone) throw new InvalidOperationException("a fused RMSNorm, residual or top-k needs the matrix-vector path");
    }

    /// <summary>Three products of the same x (Q, K, V): <c>y_m = W_m·x + b_m</c>; one launch for small T. The weights share
    /// type and K.</summary>
    public void MatMul3(CudaStream s, in CudaWeightView w0, ulong y0, ulong b0, in CudaWeightView w1, ulong y1, ulong b1,
                        in CudaWeightView w2, ulong y2, ulong b2, ulong x, int T, in MatVecFusion fuse = default, ulong xq = 0)
    {
        if (T <= 0) return;
        string type = Suffix(w0.Type);
        CheckShape(w0);
        CheckShape(w1);
        CheckShape(w2);
        if (w1.Type != w0.Type || w2.Type != w0.Type || w1.K != w0.K || w2.K != w0.K)
            throw new ArgumentException($"MatMul3 needs one type and K: {w0.Type}/{w0.K}, {w1.Type}/{w1.K}, {w2.Type}/{w2.K}");
        if (UseMatVec(w0.K, T))
        {
            LaunchMatVec(s, type, w0, y0, b0, w1, y1, b1, w2, y2, b2, x, T, fuse);
            return;
        }
        RequireNoFusion(fuse);
        ulong q = QuantiseX(s, w0.Type, x, T, w0.K, xq) ? xq : 0;
        LaunchGemm(s, type, w0, x, y0, b0, T, q);
        LaunchGemm(s, type, w1, x, y1, b1, T, q);
        LaunchGemm(s, type, w2, x, y2, b2, T, q);
    }

    /// <summary>Expert products (ggml_mul_mat_id): slot q = t·k + j uses expert e = ids[q] (int32 [T×k] on the device):
    /// y[q·R + r] = W_e[r]·x_row + (bias ? bias[e·R + r] : 0), x_row = xPerSlot ? x + q·K : x + t·K. Slots whose id is
    /// outside [0, experts) are left unwritten. <paramref name="scratch"/>: <see cref="ExpertScratchBytes"/>.</summary>
    public void MatMulExperts(CudaStream s, in CudaWeightView w, ulong x, bool xPerSlot, ulong ids, int k, ulong y, ulong bias, int T, ulong scratch)
    {
        if (T <= 0 || k <= 0) return;
        string type = Suffix(w.Type);
        CheckShape(w);
        int slots = T * k;
        if (slots <= ExpertMatVecMaxSlots && (long)w.K * 4 <= MvMaxShared)
        {
            s.Launch(F("matvec", "tsr_mv_experts_" + MvSuffix(type)), new Dim3((uint)TaskGrid((w.R + 1) / 2, slots, MvTargetBlocks), (uint)slots), MvThreads, w.K * 4,
                [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.I32(w.Slices),
                 KernelArg.Ptr(x), KernelArg.I32(xPerSlot ? 1 : 0), KernelArg.Ptr(ids), KernelArg.I32(k), KernelArg.Ptr(y), KernelArg.Ptr(bias)]);
            return;
        }
        SortSlots(s, ids, slots, w.Slices, scratch);
        ulong x16 = scratch + (ulong)SortBytes(slots, w.Slices);
        bool gathered = GatherX(s, type, x, xPerSlot, k, scratch, w.Slices, w.K, slots, x16);
        LaunchGemmExperts(s, type, w, x, xPerSlot, k, scratch, y, bias, slots, gathered ? x16 : 0);
    }

    /// <summary>act[q·R + i] = swiglu_oai(gate_e·x_t + bg[e·R+i], up_e·x_t + bu[e·R+i]) for slot q = t·k + j, e = ids[q]
    /// (slots whose id is outside [0, experts) are left unwritten);
    /// swiglu_oai(g, u) = min(g, limit)·σ(α·min(g, limit))·(clamp(u, −limit, limit) + 1). Bias pointers may be 0.</summary>
    /// <remarks>quants (<see cref="ActQuantBytes"/>) and tickets (a zeroed uint per slot, left zeroed) let the one-token
    /// kernel of the integer path quantise act for the down kernel (<see cref="QuantiseActOnce"/>); 0: not.</remarks>
    public void GateUpSwiGlu(CudaStream s, in CudaWeightView gate, in CudaWeightView up, ulong gateBias, ulong upBias, ulong x, ulong ids,
                             int k, ulong act, int T, float alpha, float limit, ulong scratch, ulong quants = 0, ulong tickets = 0)
    {
        if (T <= 0 || k <= 0) return;
        string type = Suffix(gate.Type);
        CheckShape(gate);
        CheckShape(up);
        if (up.Type != gate.Type || up.K != gate.K || up.R != gate.R || up.Slices != gate.Slices)
            throw new ArgumentException($"gate ({gate.Type}, {gate.K}×{gate.R}×{gate.Slices}) and up ({up.Type}, {up.K}×{up.R}×{up.Slices}) differ");
        int slots = T * k;
        if (slots <= ExpertMatVecMaxSlots && (long)gate.K * 4 <= MvMaxShared)
        {
            string suffix = MvSuffix(type);
            bool integer = suffix.EndsWith("i8", StringComparison.Ordinal);
            if (!(QuantiseActOnce && integer && tickets != 0 && gate.R % 32 == 0)) quants = 0;
            // The router's kernel just before left this token's normalised row quantised for weights of this type.
            ulong xs = T == 1 && integer && _route.Stream == s && _route.At == s.Submitted && _route.Normed == x && _route.Quants != 0
                && _route.Type == gate.Type ? _route.Quants : 0;
            if (xs != 0) PreQuantisedLaunches++;
            s.Launch(F("matvec", "tsr_gate_up_" + suffix), new Dim3((uint)TaskGrid((gate.R + 1) / 2, slots, MvGateUpTargetBlocks), (uint)slots), MvThreads, gate.K * 4,
                [KernelArg.Ptr(gate.Values), KernelArg.Ptr(gate.Scales), KernelArg.Ptr(up.Values), KernelArg.Ptr(up.Scales),
                 KernelArg.I32(gate.K), KernelArg.I32(gate.R), KernelArg.I32(gate.Slices), KernelArg.Ptr(gateBias), KernelArg.Ptr(upBias),
                 KernelArg.Ptr(x), KernelArg.Ptr(ids), KernelArg.I32(k), KernelArg.Ptr(act), KernelArg.F32(alpha), KernelArg.F32(limit),
                 KernelArg.Ptr(quants), KernelArg.Ptr(quants != 0 ? tickets : 0), KernelArg.Ptr(xs)]);
            _gateUp = (s, s.Submitted, ids, act, quants, gate.Type);
            return;
        }
        SortSlots(s, ids, slots, gate.Slices, scratch);
        ulong x16 = scratch + (ulong)SortBytes(slots, gate.Slices);
        ulong g = x16 + (ulong)X16Bytes(slots, gate.K);
        ulong u = g + (ulong)slots * (ulong)gate.R * 4;
        bool gathered = GatherX(s, type, x, false, k, scratch, gate.Slices, gate.K, slots, x16);
        LaunchGemmExperts(s, type, gate, x, false, k, scratch, g, gateBias, slots, gathered ? x16 : 0);
        LaunchGemmExperts(s, type, up, x, false, k, scratch, u, upBias, slots, gathered ? x16 : 0);
        long n = (long)slots * gate.R;
        s.Launch(F("gemm", "tsr_swiglu_slots"), Grid1D(n), 256, 0,
            [KernelArg.Ptr(g), KernelArg.Ptr(u), KernelArg.Ptr(act), KernelArg.I64(n), KernelArg.F32(alpha), KernelArg.F32(limit),
             KernelArg.Ptr(ids), KernelArg.I32(gate.Slices), KernelArg.I32(gate.R)]);
    }

    /// <summary>h[t·R + r] += Σ_{j&lt;k} weights[t·k+j]·(W_e[r]·act[(t·k+j)·K ..] + (bias ? bias[e·R + r] : 0)), e = ids[t·k+j],
    /// summed in slot order ((y0 + y1) + y2) + y3, then added to h.</summary>
    public void DownWeightedAdd(CudaStream s, in CudaWeightView down, ulong bias, ulong act, ulong ids, ulong weights, int k, ulong h, int T, ulong scratch)
    {
        if (T <= 0 || k <= 0) return;
        string type = Suffix(down.Type);
        CheckShape(down);
        int slots = T * k;
        long shared = (long)k * down.K * 4;
        if (slots <= ExpertMatVecMaxSlots && shared <= MvMaxShared)
        {
            // The gate-up kernel on these ids came just before: it waited for the router before this kernel could start, and
            // it may have left act quantised for weights of this type.
            bool afterGateUp = _gateUp.Stream == s && _gateUp.At == s.Submitted && _gateUp.Ids == ids;
            bool idsEarly = EarlyIds && afterGateUp;
            ulong quants = afterGateUp && _gateUp.Act == act && _gateUp.Type == down.Type && MvSuffix(type).EndsWith("i8", StringComparison.Ordinal)
                ? _gateUp.Quants : 0;
            if (quants != 0) PreQuantisedLaunches++;
            s.Launch(F("matvec", "tsr_down_add_" + MvSuffix(type)), new Dim3((uint)TaskGrid(down.R, T, MvDownTargetBlocks), (uint)T), MvThreads, (int)shared,
                [KernelArg.Ptr(down.Values), KernelArg.Ptr(down.Scales), KernelArg.I32(down.K), KernelArg.I32(down.R), KernelArg.I32(down.Slices),
                 KernelArg.Ptr(bias), KernelArg.Ptr(act), KernelArg.Ptr(ids), KernelArg.Ptr(weights), KernelArg.I32(k), KernelArg.Ptr(h),
                 KernelArg.I32(idsEarly ? 1 : 0), KernelArg.Ptr(quants)]);
            return;
        }
        SortSlots(s, ids, slots, down.Slices, scratch);
        ulong x16 = scratch + (ulong)SortBytes(slots, down.Slices);
        ulong y = x16 + (ulong)X16Bytes(slots, down.K);
        bool gathered = GatherX(s, type, act, true, k, scratch, down.Slices, down.K, slots, x16);
        LaunchGemmExperts(s, type, down, act, true, k, scratch, y, bias, slots, gathered ? x16 : 0);
        long n = (long)T * down.R;
        s.Launch(F("gemm", "tsr_weighted_add"), Grid1D(n), 256, 0,
            [KernelArg.Ptr(y), KernelArg.Ptr(weights), KernelArg.Ptr(ids), KernelArg.I32(down.Slices), KernelArg.Ptr(h),
             KernelArg.I32(down.R), KernelArg.I32(T), KernelArg.I32(k)]);
    }

    /// <summary>Bytes of device scratch the three expert launchers need for T tokens: the slot sort (offsets, tile starts,
    /// sorted slots), the x rows of the slots gathered in sorted order for the tensor-core GEMM (T·k × K halves; the
    /// integer path's quants and scales take T·k × K × 1.125 bytes of it),
    /// and two T·k × R float buffers (gate and up products, or the down products); <paramref name="maxRows"/> must be at
    /// least both R and K of the expert weights.</summary>
    public static long ExpertScratchBytes(int T, int k, int experts, int maxRows)
    {
        long slots = (long)Math.Max(T, 0) * Math.Max(k, 0);
        return SortBytes(slots, experts) + X16Bytes(slots, Math.Max(maxRows, 0)) + 2 * slots * Math.Max(maxRows, 0) * 4;
    }

    private static long SortBytes(long slots, int experts) => ((2L * (experts + 1) + slots) * 4 + 255) / 256 * 256;

    private static long X16Bytes(long slots, int K) => (slots * K * 2 + 255) / 256 * 256;

    /// <summary>Whether the matrix-vector kernels of Q8_0 and MXFP4 weights take the integer path: x quantised to Q8_0 as
    /// llama.cpp quantises activations (its CPU backend, and q8_1 in its CUDA matrix-vector kernels), dp4a products
    /// (TESSERA_CUDA_MV_INT8=0 keeps x in F32). Results carry the rounding of x to 8 bits, about 4e-3 relative RMS.</summary>
    public bool IntegerMatVec { get; set; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_MV_INT8") is not "0";

    // The matrix-vector kernels' suffix for a weight type ("q8_0" → "q8_0i8" on the integer path).
    private string MvSuffix(string type) => IntegerMatVec && type is "q8_0" or "mxfp4" ? type + "i8" : type;

    /// <summary>Whether the tensor-core GEMMs of Q8_0 and MXFP4 weights (prefill: <see cref="MmaMinTokens"/> token rows or
    /// <see cref="MmaMinSlots"/> expert slots and more) take the integer path: x quantised to Q8_0 with the bits of the CPU
    /// backend's Q8_0Activations, mma.sync on int8 (one k = 32 step per block of both), each block's int32 sums times
    /// d_x·d_w added in fp32, as llama.cpp's MMQ does (TESSERA_CUDA_PREFILL_INT8=0 keeps the f16 kernels: x rounded to f16).
    /// Results then carry the rounding of x to 8 bits, as the CPU backend's do.</summary>
    public bool IntegerPrefill { get; set; } = IntegerPrefillDefault;

    /// <summary>The default of <see cref="IntegerPrefill"/>: on unless TESSERA_CUDA_PREFILL_INT8 is "0".</summary>
    internal static bool IntegerPrefillDefault { get; } = Environment.GetEnvironmentVariable("TESSERA_CUDA_PREFILL_INT8") is not "0";

    // The tensor-core GEMMs' suffix for a weight type ("mxfp4" → "mxfp4i8" on the integer path).
    private string MmaSuffix(string type) => IntegerPrefill && type is "q8_0" or "mxfp4" ? type + "i8" : type;

    private static string Suffix(GgmlType type) => type switch
    {
        GgmlType.F32 => "f32",
        GgmlType.F16 => "f16",
        GgmlType.Q8_0 => "q8_0",
        GgmlType.MXFP4 => "mxfp4",
        _ => throw new NotSupportedException($"CUDA products of {type} weights"),
    };

    private static void CheckShape(in CudaWeightView w)
    {
        if (w.K <= 0 || w.K % 32 != 0 || w.R <= 0 || w.Slices <= 0)
            throw new ArgumentException($"weight shape K {w.K}, R {w.R}, slices {w.Slices}: K must be a positive multiple of 32");
        // The integer matrix-vector kernels address a weight's 16-byte chunks with 32-bit offsets.
        if ((long)w.R * w.Slices * (w.K / 16) >= 1L << 32)
            throw new ArgumentException($"weight shape K {w.K}, R {w.R}, slices {w.Slices}: more than 2^32 chunks of 16 bytes (64 GiB), beyond the GPU kernels");
    }

    /// <summary>Whether a product of T rows of x of K values runs as a matrix-vector kernel (decode), not a GEMM.</summary>
    public static bool RunsAsMatVec(int K, int T) => UseMatVec(K, T);

    private static bool UseMatVec(int K, int T) => T <= MatVecMaxTokens && (long)T * K * 4 <= MvMaxShared;

    private static Dim3 Grid1D(long n) => new((uint)Math.Clamp((n + 255) / 256, 1, 1 << 20));

    // Blocks of 8 warp tasks for `slots` grid rows: at most about `target` blocks in all; beyond that each warp takes
    // several tasks, the same number for every warp.
    private static int TaskGrid(int tasks, int slots, int target)
    {
        int blocks = (tasks + MvWarps - 1) / MvWarps;
        int cap = Math.Max(1, target / Math.Max(1, slots));
        int perWarp = (blocks + cap - 1) / cap;
        return (blocks + perWarp - 1) / perWarp;
    }

    // Dense matrix-vector: tasks of 2 rows of one weight, 8 per block; more than two waves of the blocks all SMs hold at
    // once become one such wave whose warps stride over the tasks (x staged once per block). At most MvSplitMaxRows rows:
    // one block of 8 warps per row, K split over them.
    private void LaunchMatVec(CudaStream s, string type, in CudaWeightView w0, ulong y0, ulong b0, in CudaWeightView w1, ulong y1, ulong b1,
                              in CudaWeightView w2, ulong y2, ulong b2, ulong x, int T, in MatVecFusion fuse)
    {
        int rows = w0.R + w1.R + w2.R;
        if (fuse.Ids != 0 && (rows > MvSplitMaxRows || w0.R > 256 || w1.R + w2.R != 0))
            throw new InvalidOperationException($"the router's top-k is fused only after a split-K product of at most {MvSplitMaxRows} rows");
        if (fuse.RopeTable != 0 && (!CanFuseRope(w0.K, T, w0.R, w1.R, w2.R, fuse.RopeDim) || fuse.Residual != 0 || fuse.Ids != 0))
            throw new InvalidOperationException("RoPE and the cache store are fused only into a dense Q, K, V product of whole heads");
        string name;
        int grid;
        bool strided = false;
        if (rows <= MvSplitMaxRows)
        {
            name = "tsr_matvec_split_";
            grid = rows;
        }
        else
        {
            name = "tsr_matvec_";
            grid = DenseGrid((w0.R + 1L) / 2 + (w1.R + 1L) / 2 + (w2.R + 1L) / 2, out strided);
        }
        ReadOnlySpan<KernelArg> args =
            [KernelArg.Ptr(w0.Values), KernelArg.Ptr(w0.Scales), KernelArg.Ptr(y0), KernelArg.Ptr(b0), KernelArg.I32(w0.R),
             KernelArg.Ptr(w1.Values), KernelArg.Ptr(w1.Scales), KernelArg.Ptr(y1), KernelArg.Ptr(b1), KernelArg.I32(w1.R),
             KernelArg.Ptr(w2.Values), KernelArg.Ptr(w2.Scales), KernelArg.Ptr(y2), KernelArg.Ptr(b2), KernelArg.I32(w2.R),
             KernelArg.I32(w0.K), KernelArg.Ptr(x), KernelArg.I32(T),
             KernelArg.Ptr(fuse.NormWeight), KernelArg.F32(fuse.Epsilon), KernelArg.Ptr(fuse.NormOutput), KernelArg.Ptr(fuse.Residual),
             KernelArg.Ptr(fuse.Ids), KernelArg.Ptr(fuse.Probabilities), KernelArg.I32(fuse.K), KernelArg.Ptr(fuse.Counter),
             KernelArg.Ptr(fuse.RopeTable), KernelArg.Ptr(fuse.Positions), KernelArg.Ptr(fuse.Slots), KernelArg.Ptr(fuse.KeyCache),
             KernelArg.Ptr(fuse.ValueCache), KernelArg.I32(fuse.RopeDim), KernelArg.I32(fuse.CacheF16 ? 1 : 0),
             KernelArg.Ptr(fuse.HistoryKeys), KernelArg.Ptr(fuse.HistoryValues)];
        // Both kernels take the first 22 arguments; then the split kernel the top-k's 4, the dense one RoPE's 9.
        // One row of x (decode): the kernels built for one row (less than half the code: fewer instruction-cache misses),
        // except for products whose warps stride over many tasks (the output head: 187 µs against 156 with the kernel for
        // up to four rows, H200, where Q/K/V, the attention output and the router each gained 0.3-0.5 µs).
        string one = T == 1 && OneRowMatVec && !strided ? "1" : "";
        if (name == "tsr_matvec_split_")
        {
            s.Launch(F("matvec", "tsr_matvec_split" + one + "_" + MvSuffix(type)), grid, MvThreads, T * w0.K * 4, args[..26]);
            return;
        }
        Span<KernelArg> dense = stackalloc KernelArg[31];
        args[..22].CopyTo(dense);
        args[26..].CopyTo(dense[22..]);
        s.Launch(F("matvec", "tsr_matvec" + one + "_" + MvSuffix(type)), grid, MvThreads, T * w0.K * 4, dense);
    }

    // Tensor cores for F16 and quantised weights from `rows` token rows (or slots) on; F32 weights keep the fp32 GEMM.
    private static bool UseMma(string type, int rows, int threshold) => type != "f32" && rows >= threshold;

    private void LaunchGemm(CudaStream s, string type, in CudaWeightView w, ulong x, ulong y, ulong bias, int T, ulong xq = 0)
    {
        bool mma = UseMma(type, T, MmaMinTokens);
        if (xq != 0)   // x quantised by QuantiseX: the integer GEMM that reads it
        {
            string q = MmaSuffix(type);
            s.Launch(F("gemm", "tsr_gemm_mma_xq_" + q), new Dim3((uint)((T + GemmTile - 1) / GemmTile), (uint)((w.R + MmaRows - 1) / MmaRows)),
                GemmThreads, MmaSharedBytes(q, true),
                [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.Ptr(xq),
                 KernelArg.Ptr(GatheredScales(xq, T, w.K)), KernelArg.Ptr(y), KernelArg.Ptr(bias), KernelArg.I32(T)]);
            return;
        }
        int rowTile = mma ? MmaRows : GemmTile;
        var grid = new Dim3((uint)((T + GemmTile - 1) / GemmTile), (uint)((w.R + rowTile - 1) / rowTile));
        string kernel = mma ? MmaSuffix(type) : type;
        s.Launch(F("gemm", (mma ? "tsr_gemm_mma_" : "tsr_gemm_") + kernel), grid, GemmThreads, mma ? MmaSharedBytes(kernel, false) : 0,
            [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.Ptr(x), KernelArg.Ptr(y),
             KernelArg.Ptr(bias), KernelArg.I32(T)]);
    }

    // Sorts the slots by expert into the start of scratch (one block of 1024 threads, 32·experts ints of shared memory).
    private void SortSlots(CudaStream s, ulong ids, int slots, int experts, ulong scratch)
    {
        if (experts > MaxExperts) throw new NotSupportedException($"{experts} experts (the CUDA expert sort handles up to {MaxExperts})");
        s.Launch(F("gemm", "tsr_expert_sort"), 1, 1024, 32 * experts * 4,
            [KernelArg.Ptr(ids), KernelArg.I32(slots), KernelArg.I32(experts), KernelArg.Ptr(scratch)]);
    }

    // Dynamic shared memory of the tensor-core GEMMs, by kernel suffix (MmaSuffix). f16 kernels (p_tile in gemm.cu):
    // MmaStages stages of [weight bytes of MmaRows rows × 32 values][a 32-bit scale word per row][GemmTile x rows: f16
    // (80 bytes, gathered) or fp32 (128 bytes)], then the f16 weight tile (MmaRows × MmaStride halves), its float scales,
    // and for fp32 x the f16 x tile. Integer kernels (q_tile): MmaStages stages of [weight bytes: Q8_0 rows of
    // MmaQuantStride, MXFP4 raw 16][a scale word per row][GemmTile x rows: quants (MmaQuantStride) and a float scale
    // (gathered) or fp32 (128 bytes)], then for MXFP4 the int8 weight tile (MmaRows × MmaQuantStride), for fp32 x the
    // int8 x tile (GemmTile × MmaQuantStride) and its float scales.
    private static int MmaSharedBytes(string kernel, bool gathered)
    {
        if (kernel is "q8_0i8" or "mxfp4i8")
        {
            bool mxfp4 = kernel == "mxfp4i8";
            int quantStage = MmaRows * (mxfp4 ? 16 : MmaQuantStride) + MmaRows * 4 + GemmTile * (gathered ? MmaQuantStride + 4 : 32 * 4);
            return MmaStages * quantStage + (mxfp4 ? MmaRows * MmaQuantStride : 0) + (gathered ? 0 : GemmTile * (MmaQuantStride + 4));
        }
        int weightRow = kernel switch { "f16" => 64, "q8_0" => 32, _ => 16 };
        int stage = MmaRows * weightRow + MmaRows * 4 + GemmTile * (gathered ? MmaStride * 2 : 32 * 4);
        return MmaStages * stage + MmaRows * MmaStride * 2 + MmaRows * 4 + (gathered ? 0 : GemmTile * MmaStride * 2);
    }

    // Gathers the slots' x rows in sorted order into scratch at `gathered` for the tensor-core grouped GEMM: as f16, or on
    // the integer path quantised to Q8_0 (slots × K quants, then slots × K/32 float scales, GatheredScales); false
    // (nothing launched) where the fp32 grouped GEMM runs.
    private bool GatherX(CudaStream s, string type, ulong x, bool xPerSlot, int k, ulong info, int experts, int K, int slots, ulong gathered)
    {
        if (!UseMma(type, slots, MmaMinSlots)) return false;
        long n = (long)slots * (K / 8);
        string kernel = MmaSuffix(type);
        if (kernel == type)
        {
            s.Launch(F("gemm", "tsr_gather_x16"), Grid1D(n), 256, 0,
                [KernelArg.Ptr(x), KernelArg.I32(xPerSlot ? 1 : 0), KernelArg.I32(k), KernelArg.I32(experts), KernelArg.Ptr(info),
                 KernelArg.I32(K), KernelArg.I32(slots), KernelArg.Ptr(gathered)]);
            return true;
        }
        s.Launch(F("gemm", "tsr_gather_xq_" + kernel), Grid1D(n), 256, 0,
            [KernelArg.Ptr(x), KernelArg.I32(xPerSlot ? 1 : 0), KernelArg.I32(k), KernelArg.I32(experts), KernelArg.Ptr(info),
             KernelArg.I32(K), KernelArg.I32(slots), KernelArg.Ptr(gathered), KernelArg.Ptr(GatheredScales(gathered, slots, K))]);
        return true;
    }

    // Where the integer path's gathered x scales start: after slots × K quant bytes (a multiple of 32).
    private static ulong GatheredScales(ulong gathered, int slots, int K) => gathered + (ulong)slots * (ulong)K;

    // Grouped GEMM over the sorted slots (sort info at `info`): an upper bound of tiles, blocks beyond the real ones exit.
    // The tensor-core one reads the gathered rows (GatherX), the fp32 one x itself.
    private void LaunchGemmExperts(CudaStream s, string type, in CudaWeightView w, ulong x, bool xPerSlot, int k, ulong info, ulong y, ulong bias, int slots, ulong gathered)
    {
        bool mma = gathered != 0;
        int rowTile = mma ? MmaRows : GemmTile;
        var grid = new Dim3((uint)((slots + GemmTile - 1) / GemmTile + w.Slices), (uint)((w.R + rowTile - 1) / rowTile));
        if (mma && MmaSuffix(type) is var kernel && kernel != type)
        {
            s.Launch(F("gemm", "tsr_gemm_experts_mma_" + kernel), grid, GemmThreads, MmaSharedBytes(kernel, true),
                [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.I32(w.Slices),
                 KernelArg.Ptr(gathered), KernelArg.Ptr(GatheredScales(gathered, slots, w.K)), KernelArg.Ptr(info), KernelArg.Ptr(y),
                 KernelArg.Ptr(bias)]);
            return;
        }
        if (mma)
        {
            s.Launch(F("gemm", "tsr_gemm_experts_mma_" + type), grid, GemmThreads, MmaSharedBytes(type, true),
                [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.I32(w.Slices),
                 KernelArg.Ptr(gathered), KernelArg.Ptr(info), KernelArg.Ptr(y), KernelArg.Ptr(bias)]);
            return;
        }
        s.Launch(F("gemm", "tsr_gemm_experts_" + type), grid, GemmThreads, 0,
            [KernelArg.Ptr(w.Values), KernelArg.Ptr(w.Scales), KernelArg.I32(w.K), KernelArg.I32(w.R), KernelArg.I32(w.Slices),
             KernelArg.Ptr(x), KernelArg.I32(xPerSlot ? 1 : 0), KernelArg.I32(k), KernelArg.Ptr(info), KernelArg.Ptr(y), KernelArg.Ptr(bias)]);
    }
}

/// <summary>What a matrix-vector product does besides W·x + b (all zero: nothing): an RMSNorm of x first (the weight, ε, and
/// where the normalised x is also stored), a residual added to the first output (y0 = residual + W·x + b; may be y0), or
/// the router's top-k with its softmax after (ids and probabilities [T × K], and a zeroed device counter the kernel
/// leaves zeroed), or (Q, K, V products, <see cref="CudaKernels.CanFuseRope"/>) RoPE of Q and K and the store of K and V
/// into cache rows Slots[t] (RopeTable as tsr_rope_store_heads reads it, RopeDim values per head). Each gives the bits of
/// the separate kernels.</summary>
internal readonly record struct MatVecFusion(ulong NormWeight = 0, float Epsilon = 0, ulong NormOutput = 0, ulong Residual = 0,
    ulong Ids = 0, ulong Probabilities = 0, int K = 0, ulong Counter = 0, ulong RopeTable = 0, ulong Positions = 0, ulong Slots = 0,
    ulong KeyCache = 0, ulong ValueCache = 0, int RopeDim = 0, bool CacheF16 = false, ulong HistoryKeys = 0, ulong HistoryValues = 0)
{
    public bool IsNone => NormWeight == 0 && Residual == 0 && Ids == 0 && RopeTable == 0;
}
