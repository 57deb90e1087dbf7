// Experts of one layer split between the GPU and the CPU. The GPU holds its experts packed together (expert ids remapped
// into that packing by a small kernel, −1 for the others, which its kernels skip); the CPU computes the rest from the
// mapped file. A step of a few tokens (decode): the router runs on the GPU and its choice, the weights and the normed input
// come back in one transfer; the GPU's experts are queued, then the CPU computes its own while they run, and its weighted
// sum goes back in one transfer and is added to the residual after the GPU's. A large batch (prefill): the CPU's experts
// of the layer are copied into GPU staging and computed there too, when the copy costs less than the CPU would take.

using Tessera.Backends.Cpu;
using Tessera.Backends.Cuda;
using Tessera.Placement;
using Tessera.Quants;

namespace Tessera.Backends.Hybrid;

/// <summary>An expert tensor (or expert bias) split between the GPU and the CPU: the file's tensor, the GPU's experts
/// packed, and the CPU's experts packed on the GPU for a bias (the staged path adds them there).</summary>
internal sealed record SplitExperts(WeightTensor Host, WeightTensor? Gpu, WeightTensor? StagedBias, int Layer);

public sealed unsafe partial class HybridBackend
{
    // Per layer whose experts are split: which experts each side holds, the id maps, the last routing read back.
    private sealed class SplitLayer
    {
        public required int[] GpuExperts, CpuExperts;
        public required bool[] OnGpu;
        public HybridTensor? GpuMap;    // I32 [1 × E]: expert → place in the packed GPU weight, else −1
    }

    private readonly SplitLayer?[] _layers;

    // Remapped ids per batch shape, and the CPU side's scratch per slot count; few shapes occur (decode, prompt batches).
    private readonly Dictionary<(int Tokens, int K), (HybridTensor Gpu, HybridTensor Stage)> _remapped = [];
    private readonly Dictionary<int, CpuSlots> _cpuSlots = [];
    private readonly Dictionary<int, HybridTensor> _cpuSums = [];
    private readonly Dictionary<(int Role, GgmlType Type, int K, int R), WeightTensor> _staging = [];

    // What ExpertsGateUp left for ExpertsDownAdd: the slots the CPU computes and the remapped ids.
    private PendingExperts? _pending;

    private sealed record PendingExperts(SplitLayer Layer, int Tokens, int K, CpuSlots? Cpu, int CpuSlotCount, HybridTensor? GpuIds,
        HybridTensor? StageIds, float Alpha, float Limit, WeightTensor Gate, WeightTensor GateBias, WeightTensor Up, WeightTensor UpBias,
        bool Staged, bool HostOnly = false, bool Timed = false);

    /// <summary>When set, batches of at least this many tokens compute the CPU's experts on the GPU, copied there for the
    /// batch, and smaller ones on the CPU (TESSERA_HYBRID_STAGE_TOKENS sets it); null (the default): each batch size
    /// takes whichever has cost less on this machine (<see cref="StagingChooser"/>).</summary>
    public int? StageMinTokens { get; set; }

    private readonly StagingChooser _chooser = new();

    // The choice for the batch being routed: staged or not, timed (still trying both ways) or not, and when timing began.
    private bool _staged, _timed;
    private long _timedSince;

    private void ChooseStaging(int tokens)
    {
        if (StageMinTokens is int fixedMin) (_staged, _timed) = (tokens >= fixedMin, false);
        else (_staged, _timed) = _chooser.Choose(tokens);
    }

    /// <summary>What the staging choice measured, per batch size (empty when nothing was tried or the threshold is fixed).</summary>
    public IEnumerable<string> StagingMeasurements => _chooser.Describe();

    /// <inheritdoc/>
    public WeightTensor Load(WeightTensor weight)
    {
        if (TensorPlacement.ExpertLayer(weight.Name) is int il && _placement.GpuExpertCount(il) < _placement.Experts)
            return LoadSplit(weight, il);
        return _placement.DeviceOf(weight.Name) == Backends.Device.Cpu ? weight : _gpu.Load(weight);
    }

    /// <inheritdoc/>
    public void LoadDone() => _gpu.LoadDone();

    private WeightTensor LoadSplit(WeightTensor weight, int il)
    {
        var layer = _layers[il] ??= NewSplitLayer(il);
        if (weight.Slices == 1 && weight.Rows != _placement.Experts || weight.Slices > 1 && weight.Slices != _placement.Experts)
            throw new ArgumentException($"{weight.Name} {weight.Info.ShapeText} does not have the placement's {_placement.Experts} experts");
        var gpu = layer.GpuExperts.Length > 0 ? _gpuBackend.LoadSubset(weight, layer.GpuExperts) : null;
        // A bias's rows for the CPU's experts also go to the GPU (a few KB each), for batches computed there.
        var stagedBias = weight.Slices == 1 ? _gpuBackend.LoadSubset(weight, layer.CpuExperts) : null;
        return WeightTensor.OnDevice(weight, Device, new SplitExperts(weight, gpu, stagedBias, il));
    }

    private SplitLayer NewSplitLayer(int il)
    {
        var onGpu = _placement.GpuExperts(il).ToArray();
        int e = onGpu.Length;
        var layer = new SplitLayer
        {
            OnGpu = onGpu,
            GpuExperts = Enumerable.Range(0, e).Where(i => onGpu[i]).ToArray(),
            CpuExperts = Enumerable.Range(0, e).Where(i => !onGpu[i]).ToArray(),
        };
        var gpuMap = new int[e];
        Array.Fill(gpuMap, -1);
        for (int i = 0; i < layer.GpuExperts.Length; i++) gpuMap[layer.GpuExperts[i]] = i;
        layer.GpuMap = (HybridTensor)NewTensor(GgmlType.I32, 1, e);
        _gpu.Write(gpuMap, G(layer.GpuMap, Use.Overwrite));
        return layer;
    }

    private static SplitExperts? Split(WeightTensor weight) => weight.DeviceData as SplitExperts;

    // ---------------------------------------------------------------- the router: its choice comes back for the CPU

    /// <inheritdoc/>
    public void Route(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        if (OnCpu(weight))
        {
            _cpu.Route(weight, bias, H(input), H(logits, Use.Overwrite), H(experts, Use.Overwrite), H(weights, Use.Overwrite));
            if (LayerOf(weight.Name) is int cpuLayer)
            {
                if (Usage is not null) Count(cpuLayer, H(experts));
                if (_layers[cpuLayer] is not null) ChooseStaging(experts.Rows);
            }
            return;
        }
        _gpu.Route(weight, bias, G(input), G(logits, Use.Overwrite), G(experts, Use.Overwrite), G(weights, Use.Overwrite));
        if (LayerOf(weight.Name) is not int il) return;
        if (_layers[il] is null)
        {
            // Every expert of the layer is on the GPU: its choice is only counted, copied back without waiting for it.
            if (Usage is not null) LogRouting(il, experts);
            return;
        }
        // The layer's experts are split: what the CPU needs comes back now, in one wait, before the GPU's experts are queued.
        ChooseStaging(experts.Rows);
        if (!_staged) ReadBack(input, experts, weights);
        else if (Usage is not null) ReadBack(experts);
        if (Usage is not null) Count(il, H(experts));
    }

    private void Count(int layer, CpuTensor experts)
    {
        foreach (int e in experts.I32Values)
            if ((uint)e < (uint)_placement.Experts) Usage!.Add(layer, e);
    }

    private void ReadBack(params ReadOnlySpan<BackendTensor> tensors)
    {
        Span<(BackendTensor, nint)> reads = new (BackendTensor, nint)[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = Own(tensors[i]);
            t.Host ??= NewHost(t);
            reads[i] = (t.Gpu!, Address(t.Host));
        }
        using (new CpuProfile.Timer(_profile, "(hybrid) routing back from the GPU"))
            _gpuBackend.ReadMany(reads);
        foreach (var t in tensors) Own(t).HostCurrent = true;
        CountLoggedRouting();
    }

    // Router choices of GPU-only layers on their way to the host: page-locked room for them and what is in it.
    private nint _routingLog;
    private int _routingLogCapacity, _routingLogUsed;   // in ints
    private readonly List<(int Layer, int Offset, int Count)> _routingLogged = [];

    private void LogRouting(int layer, BackendTensor experts)
    {
        int count = (int)experts.ElementCount;
        if (_routingLogUsed + count > _routingLogCapacity)
        {
            // Full: what is in it is counted once the stream has caught up, and the room grows if one batch needs more.
            _gpuBackend.Synchronize();
            CountLoggedRouting();
            if (count > _routingLogCapacity)
            {
                if (_routingLog != 0) _gpuBackend.Context.FreePinned(_routingLog);
                _routingLogCapacity = Math.Max(count, 64 << 10);
                _routingLog = _gpuBackend.Context.AllocatePinned(_routingLogCapacity * 4L);
            }
        }
        _gpuBackend.CopyToHostLater(G(experts), _routingLog + _routingLogUsed * 4);
        _routingLogged.Add((layer, _routingLogUsed, count));
        _routingLogUsed += count;
    }

    // Counts the logged choices; called only after a wait for the stream, when they have arrived.
    private void CountLoggedRouting()
    {
        if (_routingLogged.Count == 0) return;
        var log = new ReadOnlySpan<int>((void*)_routingLog, _routingLogUsed);
        foreach (var (layer, offset, count) in _routingLogged)
            foreach (int e in log.Slice(offset, count))
                if ((uint)e < (uint)_placement.Experts) Usage!.Add(layer, e);
        _routingLogged.Clear();
        _routingLogUsed = 0;
    }

    private static int? LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out int il) ? il : null;
    }

    // ---------------------------------------------------------------- the experts

    /// <inheritdoc/>
    public void ExpertsGateUp(WeightTensor gate, WeightTensor gateBias, WeightTensor up, WeightTensor upBias, BackendTensor input,
        BackendTensor experts, BackendTensor gateOut, BackendTensor upOut, float alpha, float limit, BackendTensor activations)
    {
        _pending = null;
        if (Split(gate) is not { } g)
        {
            if (OnCpu(gate))
                _cpu.ExpertsGateUp(gate, gateBias, up, upBias, H(input), H(experts), H(gateOut, Use.Overwrite), H(upOut, Use.Overwrite), alpha, limit, H(activations, Use.Overwrite));
            else
                _gpu.ExpertsGateUp(gate, gateBias, up, upBias, G(input), G(experts), G(gateOut, Use.Overwrite), G(upOut, Use.Overwrite), alpha, limit, G(activations, Use.Overwrite));
            return;
        }
        var layer = _layers[g.Layer]!;
        int tokens = experts.Rows, k = experts.Columns;
        bool staged = _staged;   // chosen when the layer was routed
        if (_timed)
        {
            _gpuBackend.Synchronize();   // the block's expert work alone is timed
            _timedSince = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        if (!staged && layer.GpuExperts.Length == 0 && !Own(input).GpuCurrent)
        {
            // A block on the CPU (its router too) with every expert in RAM: nothing to do on the GPU.
            _cpu.ExpertsGateUp(g.Host, Split(gateBias)!.Host, Split(up)!.Host, Split(upBias)!.Host, H(input), H(experts),
                H(gateOut, Use.Overwrite), H(upOut, Use.Overwrite), alpha, limit, H(activations, Use.Overwrite));
            _pending = new PendingExperts(layer, tokens, k, null, 0, null, null, alpha, limit, gate, gateBias, up, upBias, false, HostOnly: true, Timed: _timed);
            return;
        }
        var (gpuIds, stageIds) = Remapped(tokens, k);

        // The CPU's share, gathered now (the routing came back with the router); computed in ExpertsDownAdd, while the
        // GPU runs its share.
        CpuSlots? cpu = null;
        int cpuCount = 0;
        if (!staged) (cpu, cpuCount) = GatherCpuSlots(layer, H(experts).I32, H(input), tokens, k, g.Host.Rows);

        if (layer.GpuExperts.Length > 0)
        {
            _gpuBackend.RemapIds(G(experts), G(layer.GpuMap!), G(gpuIds, Use.Overwrite));
            _gpu.ExpertsGateUp(g.Gpu!, Split(gateBias)!.Gpu!, Split(up)!.Gpu!, Split(upBias)!.Gpu!, G(input), G(gpuIds),
                G(gateOut, Use.Overwrite), G(upOut, Use.Overwrite), alpha, limit, G(activations, Use.Overwrite));
        }
        if (staged && layer.CpuExperts.Length > 0)
        {
            // The CPU's experts through the staging room, as many at a time as it holds.
            for (int first = 0; first < layer.CpuExperts.Length; first += StageRoomExperts)
            {
                int n = Math.Min(StageRoomExperts, layer.CpuExperts.Length - first);
                var (sg, su) = (Stage(gate, layer, first, n, 0), Stage(up, layer, first, n, 1));
                RemapToStaged(layer, first, n, experts, stageIds);
                _gpu.ExpertsGateUp(sg, StagedBias(gateBias, first, n), su, StagedBias(upBias, first, n), G(input), G(stageIds),
                    G(gateOut, Use.Update), G(upOut, Use.Update), alpha, limit, G(activations, Use.Update));
            }
        }
        _pending = new PendingExperts(layer, tokens, k, cpu, cpuCount, gpuIds, stageIds, alpha, limit, gate, gateBias, up, upBias,
            staged && layer.CpuExperts.Length > 0, Timed: _timed);
    }

    /// <inheritdoc/>
    public void ExpertsDownAdd(WeightTensor down, WeightTensor downBias, BackendTensor activations, BackendTensor experts,
        BackendTensor expertWeights, BackendTensor downOut, BackendTensor scratch, BackendTensor residual)
    {
        if (Split(down) is not { } d)
        {
            if (OnCpu(down))
                _cpu.ExpertsDownAdd(down, downBias, H(activations), H(experts), H(expertWeights), H(downOut, Use.Overwrite), H(scratch, Use.Overwrite), H(residual, Use.Update));
            else
                _gpu.ExpertsDownAdd(down, downBias, G(activations), G(experts), G(expertWeights), G(downOut, Use.Overwrite), G(scratch, Use.Overwrite), G(residual, Use.Update));
            return;
        }
        var p = _pending ?? throw new InvalidOperationException($"{down.Name}: ExpertsDownAdd of a split layer follows its ExpertsGateUp");
        _pending = null;
        if (p.Layer != _layers[d.Layer] || p.Tokens != experts.Rows)
            throw new InvalidOperationException($"{down.Name}: ExpertsDownAdd does not match the ExpertsGateUp before it");
        var layer = p.Layer;
        if (p.HostOnly)
        {
            _cpu.ExpertsDownAdd(d.Host, Split(downBias)!.Host, H(activations), H(experts), H(expertWeights), H(downOut, Use.Overwrite),
                H(scratch, Use.Overwrite), H(residual, Use.Update));
            if (p.Timed) _chooser.Record(p.Tokens, staged: false, System.Diagnostics.Stopwatch.GetElapsedTime(_timedSince).TotalSeconds / layer.CpuExperts.Length);
            return;
        }

        // GPU first, so that it runs while the CPU computes.
        if (layer.GpuExperts.Length > 0)
            _gpu.ExpertsDownAdd(d.Gpu!, Split(downBias)!.Gpu!, G(activations), G(p.GpuIds!), G(expertWeights), G(downOut, Use.Overwrite),
                G(scratch, Use.Overwrite), G(residual, Use.Update));
        if (p.Staged)
        {
            for (int first = 0; first < layer.CpuExperts.Length; first += StageRoomExperts)
            {
                int n = Math.Min(StageRoomExperts, layer.CpuExperts.Length - first);
                var sd = Stage(down, layer, first, n, 2);
                RemapToStaged(layer, first, n, experts, p.StageIds!);
                _gpu.ExpertsDownAdd(sd, StagedBias(downBias, first, n), G(activations), G(p.StageIds!), G(expertWeights), G(downOut, Use.Overwrite),
                    G(scratch, Use.Overwrite), G(residual, Use.Update));
            }
        }
        else if (p.CpuSlotCount > 0)
            AddCpuExperts(p, d, downBias, expertWeights, residual);
        if (p.Timed)
        {
            _gpuBackend.Synchronize();
            _chooser.Record(p.Tokens, p.Staged, System.Diagnostics.Stopwatch.GetElapsedTime(_timedSince).TotalSeconds / layer.CpuExperts.Length);
        }
    }

    // The CPU's experts of a decode-sized batch, computed while the GPU runs its own, added to the residual.
    private void AddCpuExperts(PendingExperts p, SplitExperts d, WeightTensor downBias, BackendTensor expertWeights, BackendTensor residual)
    {
        // The CPU's experts: gate, up, SwiGLU, down with their biases over the gathered slots (one token row per slot,
        // k = 1), then each slot's output weighted into its token's row; one transfer up and one add.
        using var timer = new CpuProfile.Timer(_profile, "(hybrid) CPU experts");
        var c = p.Cpu!;
        var ew = H(expertWeights).F32;
        _cpu.ExpertsGateUp(Split(p.Gate)!.Host, Split(p.GateBias)!.Host, Split(p.Up)!.Host, Split(p.UpBias)!.Host, c.X, c.Ids, c.Gate, c.Up,
            p.Alpha, p.Limit, c.Act);
        _cpu.MatMulExperts(d.Host, c.Act, c.Ids, c.Down);
        _cpu.AddExpertBias(c.Down, Split(downBias)!.Host, c.Ids);
        var sum = CpuSum(p.Tokens, d.Host.Rows);
        var host = H(sum, Use.Overwrite);
        host.F32Values.Clear();
        for (int s = 0; s < p.CpuSlotCount; s++)
        {
            int q = c.Slot[s], t = q / p.K;
            Backends.Cpu.F32Arithmetic.AddScaled(_cpuBackend.Isa, host.Row(t), c.Down.Row(s), ew[q]);
        }
        _gpu.Add(G(residual, Use.Update), G(sum));
    }

    // The slots of the batch whose expert is the CPU's: their input rows and expert ids packed for the CPU's ops.
    private (CpuSlots?, int) GatherCpuSlots(SplitLayer layer, int[] ids, CpuTensor x, int tokens, int k, int ff)
    {
        int count = 0;
        for (int q = 0; q < tokens * k; q++)
            if ((uint)ids[q] < (uint)layer.OnGpu.Length && !layer.OnGpu[ids[q]]) count++;
        if (count == 0) return (null, 0);
        var c = CpuSlotsFor(count, x.Columns, ff);
        int s = 0;
        for (int q = 0; q < tokens * k; q++)
        {
            int e = ids[q];
            if ((uint)e >= (uint)layer.OnGpu.Length || layer.OnGpu[e]) continue;
            x.Row(q / k).CopyTo(c.X.Row(s));
            c.Ids.I32[s] = e;
            c.Slot[s] = q;
            s++;
        }
        return (c, count);
    }

    // The CPU side's tensors for `slots` slots: input rows, ids [slots × 1], gate, up, activations and down outputs.
    private sealed class CpuSlots
    {
        public required CpuTensor X, Ids, Gate, Up, Act, Down;
        public required int[] Slot;
        public void Dispose() { X.Dispose(); Ids.Dispose(); Gate.Dispose(); Up.Dispose(); Act.Dispose(); Down.Dispose(); }
    }

    private CpuSlots CpuSlotsFor(int slots, int width, int ff)
    {
        if (_cpuSlots.TryGetValue(slots, out var c) && c.X.Columns == width && c.Gate.Columns == ff) return c;
        c?.Dispose();
        c = new CpuSlots
        {
            X = new CpuTensor(GgmlType.F32, slots, width), Ids = new CpuTensor(GgmlType.I32, slots, 1),
            Gate = new CpuTensor(GgmlType.F32, slots, ff), Up = new CpuTensor(GgmlType.F32, slots, ff),
            Act = new CpuTensor(GgmlType.F32, slots, ff), Down = new CpuTensor(GgmlType.F32, slots, width), Slot = new int[slots],
        };
        _cpuSlots[slots] = c;
        return c;
    }

    private HybridTensor CpuSum(int tokens, int width)
    {
        if (!_cpuSums.TryGetValue(tokens, out var t) || t.Columns != width)
        {
            t?.Dispose();
            _cpuSums[tokens] = t = (HybridTensor)NewTensor(GgmlType.F32, tokens, width);
        }
        return t;
    }

    private (HybridTensor Gpu, HybridTensor Stage) Remapped(int tokens, int k)
    {
        if (_remapped.TryGetValue((tokens, k), out var r)) return r;
        if (_remapped.Count >= 16)
        {
            foreach (var (a, b) in _remapped.Values) { a.Dispose(); b.Dispose(); }
            _remapped.Clear();
        }
        r = ((HybridTensor)NewTensor(GgmlType.I32, tokens, k), (HybridTensor)NewTensor(GgmlType.I32, tokens, k));
        _remapped[(tokens, k)] = r;
        return r;
    }

    /// <summary>Experts a staging room holds by default (<see cref="StageRoomExperts"/>).</summary>
    public const int DefaultStageRoomExperts = 8;

    /// <summary>Experts a staging room holds (per expert tensor): a batch computes a block's experts in RAM on the GPU this
    /// many at a time, so a block with every expert in RAM does not need room for all of them. Set before the first batch.</summary>
    public int StageRoomExperts { get; set; } = DefaultStageRoomExperts;

    private HybridTensor? _stageMap;

    // Experts first .. first + n − 1 of the layer's CPU experts copied into GPU staging, as a weight of n experts.
    private WeightTensor Stage(WeightTensor weight, SplitLayer layer, int first, int n, int role)
    {
        var host = Split(weight)!.Host;
        var key = (role, host.Type, host.RowLength, host.Rows);
        if (!_staging.TryGetValue(key, out var room))
        {
            int most = Math.Min(StageRoomExperts, _layers.Max(l => l?.CpuExperts.Length ?? 0));
            _staging[key] = room = WeightTensor.OnDevice(host, Device, _gpuBackend.AllocateStaging(host, most));
        }
        var view = (CudaWeightView)room.DeviceData!;
        using (new CpuProfile.Timer(_profile, "(hybrid) staging CPU experts"))
            _gpuBackend.UploadUnits(host, layer.CpuExperts.AsSpan(first, n), view);
        return WeightTensor.OnDevice(host, Device, view with { Slices = n });
    }

    // The bias rows of the same experts (the CPU experts' rows were loaded onto the GPU together, in that order).
    private WeightTensor StagedBias(WeightTensor bias, int first, int n)
    {
        var staged = Split(bias)!.StagedBias!;
        var v = (CudaWeightView)staged.DeviceData!;
        return WeightTensor.OnDevice(Split(bias)!.Host, Device, v with { Values = v.Values + (ulong)((long)first * v.K * 4), R = n });
    }

    // stageIds = the batch's expert ids as places in the staging room for experts first .. first + n − 1 of the layer's
    // CPU experts, −1 for every other expert.
    private void RemapToStaged(SplitLayer layer, int first, int n, BackendTensor experts, HybridTensor stageIds)
    {
        var map = new int[layer.OnGpu.Length];
        Array.Fill(map, -1);
        for (int i = 0; i < n; i++) map[layer.CpuExperts[first + i]] = i;
        _stageMap ??= (HybridTensor)NewTensor(GgmlType.I32, 1, map.Length);
        _gpu.Write(map, G(_stageMap, Use.Overwrite));
        _gpuBackend.RemapIds(G(experts), G(_stageMap), G(stageIds, Use.Overwrite));
    }

    private void DisposeExperts()
    {
        if (_routingLog != 0)
        {
            _gpuBackend.Synchronize();
            CountLoggedRouting();
            _gpuBackend.Context.FreePinned(_routingLog);
            _routingLog = 0;
        }
        foreach (var l in _layers) l?.GpuMap?.Dispose();
        _stageMap?.Dispose();
        foreach (var (a, b) in _remapped.Values) { a.Dispose(); b.Dispose(); }
        foreach (var c in _cpuSlots.Values) c.Dispose();
        foreach (var t in _cpuSums.Values) t.Dispose();
    }
}
