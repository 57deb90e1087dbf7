// The forward-pass ops of the CUDA backend: shape checks on the host, then the launchers of CudaKernels. Fused ops
// (MatMulManyBias, RopeStore, MatMulBiasAdd, Route, ExpertsGateUp, ExpertsDownAdd) are one or two kernels each, and
// recorded steps are CUDA graphs keyed by the KV cache they belong to.

using Tessera.Inference;
using Tessera.Quants;

namespace Tessera.Backends.Cuda;

public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void GetRows(WeightTensor table, BackendTensor rows, BackendTensor destination)
    {
        bool onHost = _hostTables.TryGetValue(table, out var host);   // read where it lies in host memory
        var (r, d) = (Own(rows), Own(destination));
        Require(table.RowLength == d.Columns && r.Type == GgmlType.I32 && r.ElementCount >= d.Rows,
            $"cannot look up rows of {table.Name} into {d} by {r}");
        if (onHost)
        {
            using var p = Profile("GetRows (host table)", d.Rows, d.Rows * table.RowBytes);
            _kernels.GetRowsFromFile(_stream, table.Type, host.Address, table.RowLength, r.Pointer, d.Pointer, d.Rows);
            return;
        }
        var w = View(table);
        using var _ = Profile("GetRows", d.Rows, d.Rows * RowBytes(w));
        _kernels.GetRows(_stream, w, r.Pointer, d.Pointer, d.Rows);
    }

    /// <inheritdoc/>
    public void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output) => MatMul(weight, null, input, output);

    private void MatMul(WeightTensor weight, WeightTensor? bias, BackendTensor input, BackendTensor output)
    {
        var norm = TakeNorm(input);
        var (w, x, y) = (View(weight), Own(input), Own(output));
        Require(x.Columns == w.K && y.Columns == w.R && x.Rows == y.Rows && x.Type == GgmlType.F32 && y.Type == GgmlType.F32,
            $"{weight.Name} {weight.Info.ShapeText} cannot multiply {x} into {y}");
        ulong xp = x.Pointer;
        var fuse = FuseNorm(norm, w.K, x.Rows, w.R, ref xp);
        using var _ = Profile($"MatMul {w.Type} {w.K}→{w.R}{(fuse.IsNone ? "" : " + RmsNorm")}", x.Rows, w.R * RowBytes(w));
        ulong b = BiasPointer(bias, w.R);
        if (!MatMulReadingAhead(w, xp, y, b, fuse))
            _kernels.MatMul(_stream, w, xp, y.Pointer, b, x.Rows, fuse, QuantisedX(w, x.Rows));
    }

    // Scratch for x quantised once before an integer tensor-core GEMM (CudaKernels.QuantisesXFirst), else 0.
    private ulong QuantisedX(in CudaWeightView w, int T) => _kernels.QuantisesXFirst(w.Type, w.K, T)
        ? Scratch(ref _quantisedX, ref _quantisedXBytes, CudaKernels.QuantisedXBytes(T, w.K), "quantised x")
        : 0;

    // ---------------------------------------------------------------- fused decode ops

    // An RMSNorm of at most MatVecMaxTokens rows waits here for the op after it: a product reading its output stages x
    // normalised (and stores the normalised rows as the RMSNorm would); any other op runs it first (Own).
    private readonly record struct PendingNorm(CudaTensor Input, ulong Weight, float Epsilon, CudaTensor Output);

    private PendingNorm? _norm;

    // Q, K, V products of a decode step wait here for the RopeStore after them, which their kernel then does too (the same
    // bits as the RoPE kernel after the product); any other op launches them first (Own).
    private readonly record struct PendingQkv(CudaWeightView W0, CudaTensor Y0, ulong B0, CudaWeightView W1, CudaTensor Y1, ulong B1,
        CudaWeightView W2, CudaTensor Y2, ulong B2, ulong X, int T, MatVecFusion Fuse);

    private PendingQkv? _qkv;

    // A decode step's attention output (one row, residual added in place) waits here for the RMSNorm and router after it,
    // which its kernel then does too (CudaKernels.MatVecRoute); any other op launches it first (Own).
    private readonly record struct PendingAttnOut(CudaWeightView W, CudaTensor X, CudaTensor Residual, ulong Bias);

    private PendingAttnOut? _attnOut;

    private void LaunchAttnOut(in PendingAttnOut p)
    {
        using var _ = Profile($"MatMul {p.W.Type} {p.W.K}→{p.W.R} + residual", 1, p.W.R * RowBytes(p.W));
        _kernels.MatMul(_stream, p.W, p.X.Pointer, p.Residual.Pointer, p.Bias, 1, new MatVecFusion(Residual: p.Residual.Pointer));
    }

    private void LaunchQkv(in PendingQkv p) => LaunchQkv(p, p.Fuse);

    private void LaunchQkv(in PendingQkv p, in MatVecFusion fuse)
    {
        using var _ = Profile($"MatMul3 (Q, K, V) {p.W0.Type}{(fuse.NormWeight == 0 ? "" : " + RmsNorm")}{(fuse.RopeTable == 0 ? "" : " + RopeStore")}{(fuse.HistoryKeys == 0 ? "" : " + history")}",
            p.T, (p.W0.R + p.W1.R + p.W2.R) * RowBytes(p.W0));
        _kernels.MatMul3(_stream, p.W0, p.Y0.Pointer, p.B0, p.W1, p.Y1.Pointer, p.B1, p.W2, p.Y2.Pointer, p.B2, p.X, p.T, fuse,
            QuantisedX(p.W0, p.T));
    }

    // Launches whatever waits for a fusion in the order it was asked for: the attention output, the RMSNorm, then the Q, K,
    // V products.
    private void FlushPending()
    {
        if (_attnOut is { } a)
        {
            _attnOut = null;
            LaunchAttnOut(a);
        }
        FlushNorm();
        if (_qkv is not { } q) return;
        _qkv = null;
        LaunchQkv(q);
    }
    private readonly ulong _routeCounter;
    private readonly ulong _gateUpTickets;   // one per expert slot (CudaKernels.ExpertMatVecMaxSlots ≤ 64)
    // The expert weights' type of the last ExpertsGateUp: the router in the attention output's kernel leaves its normalised
    // row quantised for weights of this type (the next gate-up's, in a model whose layers share it; a guess that is wrong
    // costs only the copy, as the gate-up kernel then stages x itself).
    private GgmlType? _expertType;
    // The weight type of the last attention output fused with the router: the attention's last kernel leaves one token's
    // output quantised for it (as _expertType).
    private GgmlType? _attnOutType;

    // The pending RMSNorm when its output is `input` (the caller then fuses or runs it), else null.
    private PendingNorm? TakeNorm(BackendTensor input)
    {
        if (_norm is not { } n || !ReferenceEquals(n.Output, input)) return null;
        _norm = null;
        return n;
    }

    private void FlushNorm()
    {
        if (_norm is not { } n) return;
        _norm = null;
        LaunchNorm(n);
    }

    private void LaunchNorm(in PendingNorm n)
    {
        using var _ = Profile("RmsNorm", n.Input.Rows, 0);
        _kernels.RmsNorm(_stream, n.Input.Pointer, n.Weight, n.Output.Pointer, n.Input.Columns, n.Epsilon, n.Input.Rows);
    }

    // The fusion for a product of T rows of K values into `rows` outputs reading a taken RMSNorm's output: x becomes the
    // RMSNorm's input; when the product cannot take it, the RMSNorm runs now.
    private MatVecFusion FuseNorm(PendingNorm? norm, int K, int T, int rows, ref ulong x, in MatVecFusion with = default)
    {
        if (norm is not { } n) return with;
        var fuse = with with { NormWeight = n.Weight, Epsilon = n.Epsilon, NormOutput = n.Output.Pointer };
        if (CudaKernels.CanFuse(K, T, fuse, rows))
        {
            x = n.Input.Pointer;
            return fuse;
        }
        LaunchNorm(n);
        return with;
    }

    // Bytes of one row of a device weight, and of the experts a batch of `slots` expert slots can touch.
    private static long RowBytes(in CudaWeightView w) => ValueRowBytes(w) + ScaleRowBytes(w);

    // Bytes of a row of a weight's values and of its scales (the repacked layouts of CudaWeightView).
    private static long ValueRowBytes(in CudaWeightView w) => w.Type switch
    {
        GgmlType.Q8_0 => w.K,
        GgmlType.MXFP4 => w.K / 2,
        GgmlType.F16 => w.K * 2L,
        _ => w.K * 4L,
    };

    private static long ScaleRowBytes(in CudaWeightView w) => w.Type switch
    {
        GgmlType.Q8_0 => w.K / 32 * 2L,
        GgmlType.MXFP4 => w.K / 32,
        _ => 0,
    };

    private static long ExpertBytes(CudaWeightView w, int slots) => Math.Min(w.Slices, slots) * (long)w.R * RowBytes(w);

    private ulong BiasPointer(WeightTensor? bias, int n)
    {
        if (bias is null) return 0;
        var b = View(bias);
        Require(b.K * b.R == n || b.K == n, $"bias {bias.Name} {bias.Info.ShapeText} does not fit {n} outputs");
        return b.Values;
    }

    /// <inheritdoc/>
    public void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output) =>
        MatMulExperts(weight, null, input, experts, output);

    private void MatMulExperts(WeightTensor weight, WeightTensor? bias, BackendTensor input, BackendTensor experts, BackendTensor output)
    {
        var (w, x, ids, y) = (View(weight), Own(input), Own(experts), Own(output));
        int tokens = ids.Rows, k = ids.Columns;
        bool perSlot = x.Rows == tokens * k && k > 1;
        Require(ids.Type == GgmlType.I32 && x.Columns == w.K && y.Columns == w.R && y.Rows == tokens * k && (x.Rows == tokens || perSlot),
            $"{weight.Name} {weight.Info.ShapeText} cannot multiply {x} by experts {ids} into {y}");
        using var _ = Profile($"MatMulExperts {w.Type}", tokens, ExpertBytes(w, tokens * k));
        _kernels.MatMulExperts(_stream, w, x.Pointer, perSlot, ids.Pointer, k, y.Pointer, ExpertBias(bias, w), tokens, ExpertScratch(tokens, k, w));
    }

    private ulong ExpertBias(WeightTensor? bias, CudaWeightView w)
    {
        if (bias is null) return 0;
        var b = View(bias);
        Require(b.K == w.R && b.R == w.Slices, $"expert bias {bias.Name} {bias.Info.ShapeText} does not fit {w.R} outputs of {w.Slices} experts");
        return b.Values;
    }

    private ulong ExpertScratch(int tokens, int k, CudaWeightView w) =>
        Scratch(ref _expertScratch, ref _expertScratchBytes, CudaKernels.ExpertScratchBytes(tokens, k, w.Slices, Math.Max(w.R, w.K)), "expert scratch");

    /// <inheritdoc/>
    public void MatMulMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, ReadOnlySpan<BackendTensor> outputs) =>
        MatMulManyBias(weights, default, input, outputs);

    /// <inheritdoc/>
    public void MatMulManyBias(ReadOnlySpan<WeightTensor> weights, ReadOnlySpan<WeightTensor> biases, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        var norm = TakeNorm(input);
        if (norm is { } taken && weights.Length != 3) LaunchNorm(taken);
        Require(weights.Length == outputs.Length && (biases.IsEmpty || biases.Length == weights.Length), "one output (and bias) per weight");
        if (weights.Length == 3)
        {
            var (w0, w1, w2) = (View(weights[0]), View(weights[1]), View(weights[2]));
            var x = Own(input);
            var (y0, y1, y2) = (Own(outputs[0]), Own(outputs[1]), Own(outputs[2]));
            if (w0.Type == w1.Type && w1.Type == w2.Type && w0.K == x.Columns && w1.K == x.Columns && w2.K == x.Columns
                && y0.Columns == w0.R && y1.Columns == w1.R && y2.Columns == w2.R && y0.Rows == x.Rows && y1.Rows == x.Rows && y2.Rows == x.Rows)
            {
                ulong b0 = 0, b1 = 0, b2 = 0;
                if (!biases.IsEmpty) (b0, b1, b2) = (BiasPointer(biases[0], w0.R), BiasPointer(biases[1], w1.R), BiasPointer(biases[2], w2.R));
                ulong xp = x.Pointer;
                var fuse = FuseNorm(norm, w0.K, x.Rows, w0.R + w1.R + w2.R, ref xp);
                var qkv = new PendingQkv(w0, y0, b0, w1, y1, b1, w2, y2, b2, xp, x.Rows, fuse);
                // A decode step's Q, K, V wait for the RoPE and cache store after them (RopeStore), which their kernel can do.
                if (FuseDecodeOps && CudaKernels.CanFuseRope(w0.K, x.Rows, w0.R, w1.R, w2.R, 2)) _qkv = qkv;
                else LaunchQkv(qkv);
                return;
            }
            if (norm is { } unused) LaunchNorm(unused);
        }
        for (int i = 0; i < weights.Length; i++) MatMul(weights[i], biases.IsEmpty ? null : biases[i], input, outputs[i]);
    }

    /// <inheritdoc/>
    public void AddBias(BackendTensor x, WeightTensor bias)
    {
        var t = Own(x);

        _kernels.AddBias(_stream, t.Pointer, BiasPointer(bias, t.Columns), t.Columns, t.Rows);
    }

    /// <inheritdoc/>
    public void AddExpertBias(BackendTensor x, WeightTensor bias, BackendTensor experts)
    {
        var (t, ids, b) = (Own(x), Own(experts), View(bias));
        Require(b.K == t.Columns && t.Rows == ids.ElementCount, $"expert bias {bias.Name} does not fit {t} with experts {ids}");
        using var _ = Profile("AddExpertBias", ids.Rows, 0);
        _kernels.AddExpertBias(_stream, t.Pointer, b.Values, ids.Pointer, t.Columns, t.Rows);
    }

    /// <inheritdoc/>
    public void Add(BackendTensor x, BackendTensor addend)
    {
        var (a, b) = (Own(x), Own(addend));
        Require(a.Rows == b.Rows && a.Columns == b.Columns, $"cannot add {b} to {a}");
        using var _ = Profile("Add", a.Rows, 0);
        _kernels.Add(_stream, a.Pointer, b.Pointer, a.ElementCount);
    }

    /// <inheritdoc/>
    public void RmsNorm(BackendTensor input, WeightTensor weight, float epsilon, BackendTensor output)
    {
        // The RMSNorm of a pending attention output's result stays behind it, for the router (Route).
        bool afterAttnOut = _attnOut is { } a && ReferenceEquals(a.Residual, input) && _norm is null && _qkv is null;
        var (x, y, w) = afterAttnOut ? (Cast(input), Cast(output), View(weight)) : (Own(input), Own(output), View(weight));
        Require(x.Columns == w.K && y.Columns == x.Columns && y.Rows == x.Rows, $"cannot normalise {x} by {weight.Name} into {y}");
        // Decode rows wait for the next op, which stages them normalised if it is a product reading y (FuseNorm).
        if (FuseDecodeOps && x.Rows <= CudaKernels.MatVecMaxTokens && x.Pointer != y.Pointer && x.Type == GgmlType.F32
            && y.Type == GgmlType.F32 && x.Columns % 4 == 0 && x.Columns <= 4096 && ((x.Pointer | y.Pointer | w.Values) & 15) == 0)
        {
            _norm = new PendingNorm(x, w.Values, epsilon, y);
            return;
        }
        FlushPending();
        using var _ = Profile("RmsNorm", x.Rows, 0);
        _kernels.RmsNorm(_stream, x.Pointer, w.Values, y.Pointer, x.Columns, epsilon, x.Rows);
    }

    /// <inheritdoc/>
    public void Rope(BackendTensor x, BackendTensor positions, YarnRope rope)
    {
        var (t, p) = (Own(x), Own(positions));
        int d = rope.Dimensions;
        Require(t.Columns % d == 0 && p.ElementCount >= t.Rows, $"{t} is not made of heads of {d} values or lacks positions");
        using var _ = Profile("Rope", t.Rows, 0);
        _kernels.Rope(_stream, t.Pointer, p.Pointer, RopeTable(rope), t.Columns / d, d, t.Rows);
    }

    /// <inheritdoc/>
    public void SetRows(BackendTensor source, BackendTensor destination, BackendTensor rows)
    {
        if (_qkv is { } pending && pending.Fuse.RopeTable != 0 && CudaKernels.FuseHistory && TryStoreInQkv(pending, source, destination, rows))
            return;
        var (s, d, r) = (Own(source), Own(destination), Own(rows));
        Require(s.Columns == d.Columns && s.Type == GgmlType.F32 && r.ElementCount >= s.Rows, $"cannot set rows of {d} from {s}");
        using var _ = Profile("SetRows", s.Rows, 0);
        _kernels.SetRows(_stream, s.Pointer, d.Pointer, r.Pointer, s.Columns, s.Rows, d.Type == GgmlType.F16);
    }

    // The roped keys or values of pending Q, K, V products into rows `rows` (their positions) of another cache (a sliding-
    // window layer's history), by the products' kernel: the bits tsr_set_rows stores. False when it cannot.
    private bool TryStoreInQkv(in PendingQkv p, BackendTensor source, BackendTensor destination, BackendTensor rows)
    {
        var (s, d, r) = (Cast(source), Cast(destination), Cast(rows));
        bool keys = ReferenceEquals(s, p.Y1) && p.Fuse.HistoryKeys == 0, values = ReferenceEquals(s, p.Y2) && p.Fuse.HistoryValues == 0;
        if (!(keys || values) || r.Pointer != p.Fuse.Positions || s.Type != GgmlType.F32 || d.Columns != s.Columns
            || d.Type != (p.Fuse.CacheF16 ? GgmlType.F16 : GgmlType.F32) || ReferenceEquals(d, s))
            return false;
        _qkv = p with { Fuse = keys ? p.Fuse with { HistoryKeys = d.Pointer } : p.Fuse with { HistoryValues = d.Pointer } };
        return true;
    }

    /// <inheritdoc/>
    public void RopeStore(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor positions, YarnRope rope,
        BackendTensor keyCache, BackendTensor valueCache, BackendTensor slots)
    {
        if (_qkv is { } pending && pending.Fuse.RopeTable == 0 && ReferenceEquals(pending.Y0, queries) && ReferenceEquals(pending.Y1, keys)
            && ReferenceEquals(pending.Y2, values))
        {
            _qkv = null;
            var (pp, kcache, vcache, sl) = (Own(positions), Own(keyCache), Own(valueCache), Own(slots));
            int dim = rope.Dimensions;
            if (CudaKernels.CanFuseRope(pending.W0.K, pending.T, pending.W0.R, pending.W1.R, pending.W2.R, dim)
                && kcache.Columns == pending.W1.R && vcache.Columns == pending.W1.R && kcache.Type == vcache.Type
                && kcache.Type is GgmlType.F16 or GgmlType.F32 && pp.ElementCount >= pending.T && sl.ElementCount >= pending.T)
            {
                // Still pending: a sliding-window layer's history stores after it (SetRows) join the kernel too.
                _qkv = pending with
                {
                    Fuse = pending.Fuse with
                    {
                        RopeTable = RopeTable(rope), Positions = pp.Pointer, Slots = sl.Pointer, KeyCache = kcache.Pointer,
                        ValueCache = vcache.Pointer, RopeDim = dim, CacheF16 = kcache.Type == GgmlType.F16,
                    },
                };
                return;
            }
            LaunchQkv(pending);
        }
        var (q, k, v, p, kc, vc, s) = (Own(queries), Own(keys), Own(values), Own(positions), Own(keyCache), Own(valueCache), Own(slots));
        int d = rope.Dimensions;
        Require(q.Columns % d == 0 && k.Columns % d == 0 && v.Columns == k.Columns && kc.Columns == k.Columns && vc.Columns == k.Columns
            && kc.Type == vc.Type && q.Rows == k.Rows && v.Rows == k.Rows && p.ElementCount >= q.Rows && s.ElementCount >= q.Rows,
            $"RoPE and cache store do not fit {q}, {k}, {v} into {kc}");
        using var _ = Profile("RopeStore", q.Rows, 0);
        _kernels.RopeStore(_stream, q.Pointer, k.Pointer, v.Pointer, p.Pointer, RopeTable(rope), q.Columns / d, k.Columns / d, d, q.Rows,
            kc.Pointer, vc.Pointer, s.Pointer, kc.Type == GgmlType.F16);
    }

    /// <inheritdoc/>
    public void Attention(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor queryPositions,
        BackendTensor keyPositions, int keyCount, int window, WeightTensor sinks, float scale, BackendTensor output,
        bool slotsByPosition = false)
    {
        var (q, k, v, qp, kp, o, sk) = (Own(queries), Own(keys), Own(values), Own(queryPositions), Own(keyPositions), Own(output), View(sinks));
        int heads = sk.K;
        Require(q.Columns % heads == 0, $"queries {q} do not split into {heads} heads");
        int d = q.Columns / heads, kvWidth = k.Columns;
        Require(kvWidth % d == 0 && heads % (kvWidth / d) == 0 && v.Columns == kvWidth && v.Type == k.Type && k.Rows == v.Rows
            && kp.ElementCount == k.Rows && qp.ElementCount >= q.Rows && o.Rows == q.Rows && o.Columns == q.Columns && d <= 128,
            $"keys {k} and values {v} do not fit queries {q} with {heads} heads of {d}");
        // Every slot is looked at (empty ones cost a position read): the launch is the same at every depth, so a recorded
        // decode step stays valid as the cache fills.
        int slots = k.Rows;
        ulong scratch = Scratch(ref _attentionScratch, ref _attentionScratchBytes,
            CudaKernels.AttentionScratchBytes(heads, d, q.Rows, slots), "attention scratch");
        // A replayed step sees the keys the cache holds at its replay (_replayKeys), not those of its recording.
        long keyBytes = kvWidth * 2L * (k.Type == GgmlType.F16 ? 2 : 4);
        using var _ = Profile(window > 0 ? "Attention (window)" : "Attention (full)", q.Rows,
            AttentionBytes(keyCount, window, q.Rows, keyBytes, slotsByPosition ? 0 : slots),
            _profiler is null ? null : ReplayedAttentionBytes(window, q.Rows, keyBytes, slotsByPosition ? 0 : slots));
        // One token: the output left quantised for the attention output's product too, when it has the weight type of the
        // last one (CudaKernels.QuantiseAttentionOnce).
        ulong quants = q.Rows == 1 && _attnOutType == GgmlType.Q8_0 && QuantiseAttentionOnce
            ? Scratch(ref _attentionQuants, ref _attentionQuantsBytes, CudaKernels.ActQuantBytes(1, q.Columns), "quantised attention output") : 0;
        _kernels.Attention(_stream, q.Pointer, k.Pointer, v.Pointer, k.Type == GgmlType.F16, qp.Pointer, kp.Pointer, slots, window,
            sk.Values, scale, o.Pointer, heads, kvWidth / d, d, q.Rows, scratch, quants, slotsByPosition);
    }

    // Bytes an attention reads: the visible keys and values, and a position per slot looked at (slots 0: one per key).
    private static long AttentionBytes(int keys, int window, int rows, long keyBytes, int slots)
    {
        long visible = Math.Min(keys, window > 0 ? window + rows - 1 : keys);
        return visible * keyBytes + (slots > 0 ? slots : visible) * 4L;
    }

    // The same for the keys of the step last replayed (allocated only when profiling).
    private Func<long> ReplayedAttentionBytes(int window, int rows, long keyBytes, int slots) =>
        () => AttentionBytes(_replayKeys, window, rows, keyBytes, slots);

    /// <inheritdoc/>
    public void TopKSoftmax(BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        var (l, e, w) = (Own(logits), Own(experts), Own(weights));
        Require(e.Rows == l.Rows && w.Rows == l.Rows && e.Columns == w.Columns && e.Columns <= Math.Min(8, l.Columns) && l.Columns <= 256,
            $"cannot pick {e.Columns} of {l}");
        using var _ = Profile("TopKSoftmax", l.Rows, 0);
        _kernels.TopKSoftmax(_stream, l.Pointer, e.Pointer, w.Pointer, l.Columns, e.Columns, l.Rows);
    }

    /// <inheritdoc/>
    public void SwiGluOai(BackendTensor gate, BackendTensor up, float alpha, float limit, BackendTensor output)
    {
        var (g, u, y) = (Own(gate), Own(up), Own(output));
        Require(g.ElementCount == u.ElementCount && y.ElementCount == g.ElementCount, $"SwiGLU of {g} and {u} into {y}");
        using var _ = Profile("SwiGluOai", g.Rows, 0);
        _kernels.SwiGlu(_stream, g.Pointer, u.Pointer, y.Pointer, g.ElementCount, alpha, limit);
    }

    /// <inheritdoc/>
    public void WeightedSum(BackendTensor experts, BackendTensor weights, BackendTensor output)
    {
        var (e, w, o) = (Own(experts), Own(weights), Own(output));
        Require(e.Rows == w.ElementCount && o.Rows == w.Rows && o.Columns == e.Columns, $"weighted sum of {e} by {w} into {o}");
        using var _ = Profile("WeightedSum", o.Rows, 0);
        _kernels.WeightedSum(_stream, e.Pointer, w.Pointer, o.Pointer, o.Columns, o.Rows, w.Columns);
    }

    /// <inheritdoc/>
    public void MatMulBiasAdd(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor scratch, BackendTensor residual)
    {
        // Decode: the residual is added in the product's epilogue, in place (scratch is left alone).
        var (w, x, h) = (View(weight), Own(input), Own(residual));
        var fuse = new MatVecFusion(Residual: h.Pointer);
        if (FuseDecodeOps && x.Columns == w.K && h.Columns == w.R && h.Rows == x.Rows && x.Type == GgmlType.F32 && h.Type == GgmlType.F32
            && h.Pointer != x.Pointer && CudaKernels.CanFuse(w.K, x.Rows, fuse, w.R))
        {
            // One row: the router may follow (Route), to run in this product's kernel.
            if (FuseRoute && x.Rows == 1 && CudaKernels.CanFuseRoute(w))
            {
                _attnOut = new PendingAttnOut(w, x, h, BiasPointer(bias, w.R));
                return;
            }
            using var _ = Profile($"MatMul {w.Type} {w.K}→{w.R} + residual", x.Rows, w.R * RowBytes(w));
            _kernels.MatMul(_stream, w, x.Pointer, h.Pointer, BiasPointer(bias, w.R), x.Rows, fuse);
            return;
        }
        MatMul(weight, bias, input, scratch);
        Add(residual, scratch);
    }

    /// <inheritdoc/>
    public void Route(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        var norm = TakeNorm(input);
        if (norm is { } n && _attnOut is { } a && ReferenceEquals(n.Input, a.Residual) && TryRouteInAttnOut(a, n, weight, bias, input, logits, experts, weights))
            return;
        var (w, x, l, e, p) = (View(weight), Own(input), Own(logits), Own(experts), Own(weights));
        // Decode: the split-K router product whose last block picks the experts (and, pending, the RMSNorm before it).
        var topK = new MatVecFusion(Ids: e.Pointer, Probabilities: p.Pointer, K: e.Columns, Counter: _routeCounter);
        if (FuseDecodeOps && x.Columns == w.K && l.Columns == w.R && l.Rows == x.Rows && e.Rows == x.Rows && p.Rows == x.Rows
            && p.Columns == e.Columns && e.Columns <= Math.Min(8, w.R) && x.Type == GgmlType.F32 && l.Type == GgmlType.F32
            && CudaKernels.CanFuse(w.K, x.Rows, topK, w.R))
        {
            ulong xp = x.Pointer;
            var fuse = FuseNorm(norm, w.K, x.Rows, w.R, ref xp, topK);
            using var _ = Profile($"Route (product + top-k{(fuse.NormWeight == 0 ? "" : " + RmsNorm")})", x.Rows, (long)w.R * RowBytes(w));
            _kernels.MatMul(_stream, w, xp, l.Pointer, BiasPointer(bias, w.R), x.Rows, fuse);
            return;
        }
        if (norm is { } unused) LaunchNorm(unused);
        // Batches: the fused router (product, bias, top-k, softmax in one launch, the weights read once per 4 tokens).
        // One token: the split-K product spreads the 0.37 MB router over 32 blocks, which beats one block reading it all.
        if (x.Rows > CudaKernels.MatVecMaxTokens && w.Type == GgmlType.F32 && w.K % 4 == 0 && w.R <= 256 && e.Columns <= Math.Min(8, w.R)
            && x.Columns == w.K && l.Columns == w.R && l.Rows == x.Rows && e.Rows == x.Rows && p.Rows == x.Rows && p.Columns == e.Columns)
        {
            using var _ = Profile("Route (fused)", x.Rows, (long)w.R * w.K * 4);
            _kernels.RouteTopK(_stream, w.Values, BiasPointer(bias, w.R), x.Pointer, l.Pointer, e.Pointer, p.Pointer, w.K, w.R, e.Columns, x.Rows);
            return;
        }
        MatMul(weight, bias, input, logits);
        TopKSoftmax(logits, experts, weights);
    }

    // One token's router in the kernel of the attention output before it (CudaKernels.MatVecRoute): the residual, its
    // RMSNorm into `input`, the logits, experts and weights, as the three ops would leave them. False (nothing launched,
    // the attention output still pending) when the shapes do not allow it.
    private bool TryRouteInAttnOut(in PendingAttnOut a, in PendingNorm n, WeightTensor weight, WeightTensor bias, BackendTensor input,
        BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        var (w, x, l, e, p) = (View(weight), Cast(input), Cast(logits), Cast(experts), Cast(weights));
        if (w.Type != GgmlType.F32 || w.K != a.W.R || x.Rows != 1 || x.Columns != w.K || x.Type != GgmlType.F32 || l.Rows != 1
            || l.Columns != w.R || l.Type != GgmlType.F32 || e.Rows != 1 || e.Type != GgmlType.I32 || p.Rows != 1
            || p.Columns != e.Columns || p.Type != GgmlType.F32 || !CudaKernels.CanFuseRoute(a.W, w.R, e.Columns)
            || ReferenceEquals(x, a.Residual) || ReferenceEquals(x, a.X))
            return false;
        _attnOut = null;
        _attnOutType = a.W.Type;
        ulong partials = Scratch(ref _routePartials, ref _routePartialsBytes, _kernels.RoutePartialsBytes(a.W, w.R), "router sums");
        ulong quants = _expertType is not null && QuantiseNormedOnce
            ? Scratch(ref _normedQuants, ref _normedQuantsBytes, CudaKernels.ActQuantBytes(1, w.K), "quantised normalised row") : 0;
        using var _ = Profile($"MatMul {a.W.Type} {a.W.K}→{a.W.R} + residual + RmsNorm + Route", 1, a.W.R * RowBytes(a.W) + (long)w.R * RowBytes(w));
        _kernels.MatVecRoute(_stream, a.W, a.X.Pointer, a.Residual.Pointer, a.Bias, w, BiasPointer(bias, w.R), n.Weight, n.Epsilon,
            x.Pointer, l.Pointer, e.Pointer, p.Pointer, e.Columns, _routeCounter, partials, quants, _expertType ?? GgmlType.F32);
        return true;
    }

    /// <inheritdoc/>
    public void ExpertsGateUp(WeightTensor gate, WeightTensor gateBias, WeightTensor up, WeightTensor upBias, BackendTensor input,
        BackendTensor experts, BackendTensor gateOut, BackendTensor upOut, float alpha, float limit, BackendTensor activations)
    {
        var (g, u, x, ids, act) = (View(gate), View(up), Own(input), Own(experts), Own(activations));
        int tokens = ids.Rows, k = ids.Columns;
        Require(g.Type == u.Type && g.K == x.Columns && u.K == x.Columns && g.R == u.R && x.Rows == tokens && act.Rows == tokens * k && act.Columns == g.R,
            $"{gate.Name} and {up.Name} cannot run {x} with experts {ids} into {act}");
        // One token's act quantised once for the down kernel (integer path): room for it, allocated here only, so that it
        // stays where the gate-up kernel wrote it until the down kernel reads it.
        ulong quants = tokens * k <= CudaKernels.ExpertMatVecMaxSlots
            ? Scratch(ref _actQuants, ref _actQuantsBytes, CudaKernels.ActQuantBytes(tokens * k, g.R), "quantised activations") : 0;
        _expertType = g.Type;
        using var _ = Profile($"ExpertsGateUp {g.Type}", tokens, 2 * ExpertBytes(g, tokens * k));
        _kernels.GateUpSwiGlu(_stream, g, u, ExpertBias(gateBias, g), ExpertBias(upBias, u), x.Pointer, ids.Pointer, k, act.Pointer, tokens,
            alpha, limit, ExpertScratch(tokens, k, g), quants, _gateUpTickets);
    }

    /// <inheritdoc/>
    public void ExpertsDownAdd(WeightTensor down, WeightTensor downBias, BackendTensor activations, BackendTensor experts,
        BackendTensor expertWeights, BackendTensor downOut, BackendTensor scratch, BackendTensor residual)
    {
        var (w, act, ids, ew, h) = (View(down), Own(activations), Own(experts), Own(expertWeights), Own(residual));
        int tokens = ids.Rows, k = ids.Columns;
        Require(act.Columns == w.K && act.Rows == tokens * k && h.Rows == tokens && h.Columns == w.R && ew.Rows == tokens && ew.Columns == k,
            $"{down.Name} cannot run {act} with experts {ids} into {h}");
        using var _ = Profile($"ExpertsDownAdd {w.Type}", tokens, ExpertBytes(w, tokens * k));
        _kernels.DownWeightedAdd(_stream, w, ExpertBias(downBias, w), act.Pointer, ids.Pointer, ew.Pointer, k, h.Pointer, tokens, ExpertScratch(tokens, k, w));
    }

    // ---------------------------------------------------------------- sampling

    /// <inheritdoc/>
    public bool SamplesOnDevice => true;

    /// <inheritdoc/>
    public int Argmax(BackendTensor logits, int row)
    {
        var l = Own(logits);
        Require(l.Type == GgmlType.F32 && (uint)row < (uint)l.Rows, $"no row {row} of {l} to pick from");
        ulong scratch = Scratch(ref _sampleScratch, ref _sampleScratchBytes, CudaKernels.ArgmaxScratchBytes(l.Columns, 1) + 256, "sampling scratch");
        // The first 256 bytes of the scratch hold the result; the kernels' own scratch follows.
        using (Profile("Argmax", 1, l.Columns * 4L))
            _kernels.Argmax(_stream, l.RowPointer(row), l.Columns, 1, scratch, scratch + 256);
        return ReadResult(scratch);
    }

    /// <inheritdoc/>
    /// <remarks>Launched after the step (recorded or not), so the draw and the settings are plain kernel arguments. Four
    /// bytes come back per token; the logits only where the kernels return −1.</remarks>
    public int Sample(BackendTensor logits, int row, TokenDraw draw)
    {
        var l = Own(logits);
        Require(l.Type == GgmlType.F32 && (uint)row < (uint)l.Rows, $"no row {row} of {l} to pick from");
        ulong scratch = Scratch(ref _sampleScratch, ref _sampleScratchBytes, CudaKernels.SampleTokenScratchBytes(l.Columns) + 256, "sampling scratch");
        using (Profile("Sample", 1, l.Columns * 4L))
            _kernels.SampleToken(_stream, l.RowPointer(row), l.Columns, draw.Temperature, draw.TopK, draw.TopP, draw.MinP,
                draw.MinP > 0 ? MathF.Log(draw.MinP) : 0, draw.U, scratch, scratch + 256);
        return ReadResult(scratch);
    }

    // The int32 a selection kernel left at `result`, once the stream has got there.
    private unsafe int ReadResult(ulong result)
    {
        _stream.CopyToHost(_hostResult, result, 4);
        _stream.Synchronize();
        return *(int*)_hostResult;
    }

    // ---------------------------------------------------------------- recorded steps

    /// <inheritdoc/>
    public bool CanRecordSteps => RecordSteps;

    // The stream's Submitted count when the step being recorded began.
    private long _recordingFrom;

    /// <inheritdoc/>
    public bool TryReplayStep(object key)
    {
        FlushPending();
        if (!_steps.TryGetValue(key, out var graph)) return false;
        if (key is Inference.KvCache cache) _replayKeys = cache.Position;   // for the profiler's byte counts
        _stream.Launch(graph);
        ReplayReadAhead(key);
        return true;
    }

    /// <inheritdoc/>
    public bool BeginStepRecording(object key)
    {
        // The first step of a key runs directly: scratch buffers and tables made on first use exist before recording.
        if (_seen.Add(key)) return false;
        FlushPending();
        _stream.BeginCapture();
        _recordingFrom = _stream.Submitted;
        return true;
    }

    /// <inheritdoc/>
    public void EndStepRecording(object key)
    {
        FlushPending();
        var graph = _stream.EndCapture();
        if (_steps.Remove(key, out var old)) old.Dispose();
        _steps[key] = graph;
        KeepReadAhead(key, _recordingFrom);
        _stream.Launch(graph);
        ReplayReadAhead(key);
    }

    /// <inheritdoc/>
    public void AbortStepRecording()
    {
        _norm = null;   // its op sequence is abandoned with the capture
        _qkv = null;
        _attnOut = null;
        _readAhead = null;
        _stream.AbortCapture();
    }

    /// <inheritdoc/>
    public void ForgetSteps(object key)
    {
        _seen.Remove(key);
        _stepReadAhead.Remove(key);
        if (_steps.Remove(key, out var graph))
        {
            _stream.Synchronize();
            graph.Dispose();
        }
    }
}
