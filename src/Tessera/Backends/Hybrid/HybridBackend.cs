// A model on a GPU and the CPU at once, placed tensor by tensor (Placement/TensorPlacement). Every op runs where its weight
// lives; an op without a weight runs on the GPU when its inputs are current there, else on the CPU. Tensors keep a copy on
// each side they are used on (HybridTensor), so activations cross the bus only where the placement changes device: at
// the edges of CPU blocks, and for experts kept in RAM, one small transfer each way per layer (HybridBackend.Experts.cs).
// The CPU backend's ops are llama.cpp's arithmetic and the CUDA backend's its kernels: this class only moves data and
// chooses. Steps are not recorded as CUDA graphs: a hybrid step waits on the CPU in every layer with experts in RAM.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Backends.Cpu;
using Tessera.Backends.Cuda;
using Tessera.Placement;
using Tessera.Quants;

namespace Tessera.Backends.Hybrid;

/// <summary>Runs a model on a CUDA GPU and the CPU, each tensor (and each expert) where a <see cref="TensorPlacement"/> puts it.</summary>
public sealed unsafe partial class HybridBackend : IBackend
{
    private readonly CudaBackend _gpuBackend;
    private readonly CpuBackend _cpuBackend;
    private readonly IBackend _gpu, _cpu;   // the same two, through the interface (for the fused ops' default bodies)
    private readonly TensorPlacement _placement;
    private bool _disposed;

    // TESSERA_PROFILE=1: where a hybrid step's time goes on the host (waiting for the GPU's routing, the CPU's experts,
    // staging the CPU's experts for a batch), printed when the backend goes away beside the CPU backend's own profile.
    private readonly CpuProfile? _profile = CpuProfile.FromEnvironment();

    /// <summary>A backend over <paramref name="gpu"/> and <paramref name="cpu"/> (both owned from here on) that places
    /// tensors as <paramref name="placement"/> says and counts the router's picks in <paramref name="usage"/> (if not null).</summary>
    public HybridBackend(CudaBackend gpu, CpuBackend cpu, TensorPlacement placement, ExpertUsage? usage = null)
    {
        (_gpuBackend, _cpuBackend, _gpu, _cpu, _placement, Usage) = (gpu, cpu, gpu, cpu, placement, usage);
        if (usage is not null && (usage.Layers != placement.Layers || usage.Experts != placement.Experts))
            throw new ArgumentException($"expert usage for {usage.Layers} layers of {usage.Experts} experts does not fit a placement of {placement.Layers} of {placement.Experts}");
        _layers = new SplitLayer?[placement.Layers];
        string? stage = Environment.GetEnvironmentVariable("TESSERA_HYBRID_STAGE_TOKENS");
        if (int.TryParse(stage, out int tokens) && tokens > 0) StageMinTokens = tokens;
    }

    /// <summary>The GPU side.</summary>
    public CudaBackend Gpu => _gpuBackend;

    /// <summary>The CPU side.</summary>
    public CpuBackend Cpu => _cpuBackend;

    /// <summary>Where each tensor lives.</summary>
    public TensorPlacement Placement => _placement;

    /// <summary>The router's picks counted so far, if counting.</summary>
    public ExpertUsage? Usage { get; }

    /// <inheritdoc/>
    public Device Device => _gpuBackend.Device;

    /// <inheritdoc/>
    public string Name => $"{_gpuBackend.Name} + {_cpuBackend.Name}";

    /// <inheritdoc/>
    public BackendTensor NewTensor(GgmlType type, int rows, int columns) => new HybridTensor(type, rows, columns, Device);

    /// <inheritdoc/>
    public BackendTensor ViewRows(BackendTensor tensor, int rows)
    {
        var t = Own(tensor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, t.Rows);
        return new HybridTensor(t.Type, rows, t.Columns, Device) { Parent = t };
    }

    // A new copy of a tensor on one side: a view of its parent's copy for a view (the parent's made first when missing).
    private CpuTensor NewHost(HybridTensor t) =>
        t.Parent is { } p ? (p.Host ??= (CpuTensor)_cpu.NewTensor(p.Type, p.Rows, p.Columns)).ViewRows(t.Rows)
            : (CpuTensor)_cpu.NewTensor(t.Type, t.Rows, t.Columns);

    private CudaTensor NewGpu(HybridTensor t) =>
        t.Parent is { } p ? (p.Gpu ??= (CudaTensor)_gpu.NewTensor(p.Type, p.Rows, p.Columns)).ViewRows(t.Rows)
            : (CudaTensor)_gpu.NewTensor(t.Type, t.Rows, t.Columns);

    // ---------------------------------------------------------------- where values are

    private enum Use { Read, Update, Overwrite }

    /// <summary>The host copy of <paramref name="tensor"/>, current for reading; after an update or overwrite the GPU copy
    /// is stale.</summary>
    private CpuTensor H(BackendTensor tensor, Use use = Use.Read)
    {
        var t = Own(tensor);
        if (t.Host is null)
        {
            t.Host = NewHost(t);
            if (t.HostCurrent && !t.GpuCurrent) t.HostCurrent = false;   // zeros are not the values
        }
        if (!t.HostCurrent && use != Use.Overwrite)
        {
            bool waits = t.Gpu is not null;
            Download(t);
            if (waits) CountLoggedRouting();   // the download waited for the stream
        }
        t.HostCurrent = true;
        if (use != Use.Read) t.GpuCurrent = false;
        return t.Host;
    }

    /// <summary>The GPU copy of <paramref name="tensor"/>, current for reading; after an update or overwrite the host copy
    /// is stale.</summary>
    private CudaTensor G(BackendTensor tensor, Use use = Use.Read)
    {
        var t = Own(tensor);
        if (t.Gpu is null)
        {
            t.Gpu = NewGpu(t);
            if (t.GpuCurrent && !t.HostCurrent) t.GpuCurrent = false;
        }
        if (!t.GpuCurrent && use != Use.Overwrite) Upload(t);
        t.GpuCurrent = true;
        if (use != Use.Read) t.HostCurrent = false;
        return t.Gpu;
    }

    private void Download(HybridTensor t)
    {
        if (t.Gpu is null)
        {
            // Never computed on the GPU: the values are a new tensor's zeros.
            switch (t.Type)
            {
                case GgmlType.I32: t.Host!.I32Values.Clear(); break;
                case GgmlType.F32: t.Host!.F32Values.Clear(); break;
                default: t.Host!.F16Values.Clear(); break;
            }
            return;
        }
        switch (t.Type)
        {
            case GgmlType.I32: _gpu.Read(t.Gpu, t.Host!.I32Values); break;
            case GgmlType.F32: _gpu.Read(t.Gpu, t.Host!.F32Values); break;
            default:
            {
                var values = new float[t.ElementCount];
                _gpu.Read(t.Gpu, values);
                _cpu.Write(values, t.Host!);
                break;
            }
        }
    }

    private void Upload(HybridTensor t)
    {
        if (t.Host is null) return;   // never written on the host: the GPU copy's zeros are current
        switch (t.Type)
        {
            case GgmlType.I32: _gpu.Write(t.Host.I32Values, t.Gpu!); break;
            case GgmlType.F32: _gpu.Write(t.Host.F32Values, t.Gpu!); break;
            default:
            {
                var values = new float[t.ElementCount];
                _cpu.Read(t.Host, values);
                _gpu.Write(values, t.Gpu!);
                break;
            }
        }
    }

    /// <summary>Whether an op without a weight runs on the GPU: every input is current there.</summary>
    private static bool OnGpu(params ReadOnlySpan<BackendTensor> inputs)
    {
        foreach (var t in inputs)
            if (!((HybridTensor)t).GpuCurrent) return false;
        return true;
    }

    private static bool OnCpu(WeightTensor weight) => weight.Device == Backends.Device.Cpu;

    private static HybridTensor Own(BackendTensor tensor) =>
        tensor as HybridTensor ?? throw new ArgumentException($"tensor {tensor} does not belong to the hybrid backend");

    // ---------------------------------------------------------------- data

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<float> source, BackendTensor destination)
    {
        var t = Own(destination);
        // A whole new value: written to each copy that exists (the host one when there is none yet).
        bool gpu = t.Gpu is not null, host = t.Host is not null || !gpu;
        if (host) _cpu.Write(source, t.Host ??= NewHost(t));
        if (gpu) _gpu.Write(source, t.Gpu!);
        (t.HostCurrent, t.GpuCurrent) = (host, gpu);
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<int> source, BackendTensor destination, int offset = 0)
    {
        var t = Own(destination);
        if (t.Type != GgmlType.I32 || offset < 0 || offset + (long)source.Length > t.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{source.Length} integers at {offset} do not fit {t}");
        // Part of the values: written into each current copy, so that neither has to be copied whole afterwards.
        bool gpu = t.Gpu is not null && t.GpuCurrent, host = t.Host is not null && t.HostCurrent;
        if (!gpu && !host)
        {
            H(t, Use.Update);
            host = true;
        }
        if (host) source.CopyTo(t.Host!.I32.AsSpan(offset));
        if (gpu) _gpu.Write(source, t.Gpu!, offset);
        (t.HostCurrent, t.GpuCurrent) = (host, gpu);
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<float> destination)
    {
        var t = Own(source);
        if (t.HostCurrent || t.Gpu is null) _cpu.Read(H(t), destination);
        else
        {
            _gpu.Read(t.Gpu, destination);
            CountLoggedRouting();
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> ReadInPlace(BackendTensor source)
    {
        var t = Own(source);
        if (t.HostCurrent || t.Gpu is null) return _cpu.ReadInPlace(H(t));
        var values = _gpu.ReadInPlace(t.Gpu);
        CountLoggedRouting();
        return values;
    }

    /// <inheritdoc/>
    public void Read(BackendTensor source, Span<int> destination)
    {
        var t = Own(source);
        if (t.HostCurrent || t.Gpu is null) _cpu.Read(H(t), destination);
        else
        {
            _gpu.Read(t.Gpu, destination);
            CountLoggedRouting();
        }
    }

    /// <inheritdoc/>
    public void CopyRows(BackendTensor source, int sourceRow, BackendTensor destination, int destinationRow, int count)
    {
        BackendTensor.CheckRowCopy(source, sourceRow, destination, destinationRow, count);
        if (OnGpu(source)) _gpu.CopyRows(G(source), sourceRow, G(destination, Use.Update), destinationRow, count);
        else _cpu.CopyRows(H(source), sourceRow, H(destination, Use.Update), destinationRow, count);
    }

    /// <inheritdoc/>
    /// <remarks>The GPU's: the rows are looked up on the GPU, and copied to the host only if an op there reads them.</remarks>
    public bool ReadHostTableInPlace(WeightTensor table) => _gpu.ReadHostTableInPlace(table);

    /// <inheritdoc/>
    public void ReleaseHostTable(WeightTensor table) => _gpu.ReleaseHostTable(table);

    // ---------------------------------------------------------------- ops: where the weight is, or where the inputs are

    /// <inheritdoc/>
    public void GetRows(WeightTensor table, BackendTensor rows, BackendTensor destination)
    {
        if (OnCpu(table) && !_gpuBackend.HoldsHostTable(table)) _cpu.GetRows(table, H(rows), H(destination, Use.Overwrite));
        else _gpu.GetRows(table, G(rows), G(destination, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output)
    {
        if (OnCpu(weight)) _cpu.MatMul(weight, H(input), H(output, Use.Overwrite));
        else _gpu.MatMul(Whole(weight), G(input), G(output, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output)
    {
        if (OnCpu(weight)) _cpu.MatMulExperts(Whole(weight), H(input), H(experts), H(output, Use.Overwrite));
        else _gpu.MatMulExperts(Whole(weight), G(input), G(experts), G(output, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void MatMulMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        var side = Side(weights);
        Span<BackendTensor> mine = new BackendTensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++) mine[i] = side == _cpu ? H(outputs[i], Use.Overwrite) : G(outputs[i], Use.Overwrite);
        side.MatMulMany(weights, side == _cpu ? H(input) : G(input), mine);
    }

    /// <inheritdoc/>
    public void MatMulExpertsMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, BackendTensor experts, ReadOnlySpan<BackendTensor> outputs)
    {
        var side = Side(weights);
        Span<BackendTensor> mine = new BackendTensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++) mine[i] = side == _cpu ? H(outputs[i], Use.Overwrite) : G(outputs[i], Use.Overwrite);
        foreach (var w in weights) Whole(w);
        if (side == _cpu) side.MatMulExpertsMany(weights, H(input), H(experts), mine);
        else side.MatMulExpertsMany(weights, G(input), G(experts), mine);
    }

    /// <inheritdoc/>
    public void AddBias(BackendTensor x, WeightTensor bias)
    {
        if (OnCpu(bias)) _cpu.AddBias(H(x, Use.Update), bias);
        else _gpu.AddBias(G(x, Use.Update), bias);
    }

    /// <inheritdoc/>
    public void AddExpertBias(BackendTensor x, WeightTensor bias, BackendTensor experts)
    {
        if (OnCpu(bias)) _cpu.AddExpertBias(H(x, Use.Update), Whole(bias), H(experts));
        else _gpu.AddExpertBias(G(x, Use.Update), Whole(bias), G(experts));
    }

    /// <inheritdoc/>
    public void Add(BackendTensor x, BackendTensor addend)
    {
        if (OnGpu(x, addend)) _gpu.Add(G(x, Use.Update), G(addend));
        else _cpu.Add(H(x, Use.Update), H(addend));
    }

    /// <inheritdoc/>
    public void RmsNorm(BackendTensor input, WeightTensor weight, float epsilon, BackendTensor output)
    {
        if (OnCpu(weight)) _cpu.RmsNorm(H(input), weight, epsilon, H(output, Use.Overwrite));
        else _gpu.RmsNorm(G(input), weight, epsilon, G(output, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void Rope(BackendTensor x, BackendTensor positions, YarnRope rope)
    {
        if (OnGpu(x)) _gpu.Rope(G(x, Use.Update), G(positions), rope);
        else _cpu.Rope(H(x, Use.Update), H(positions), rope);
    }

    /// <inheritdoc/>
    public void SetRows(BackendTensor source, BackendTensor destination, BackendTensor rows)
    {
        if (OnGpu(source)) _gpu.SetRows(G(source), G(destination, Use.Update), G(rows));
        else _cpu.SetRows(H(source), H(destination, Use.Update), H(rows));
    }

    /// <inheritdoc/>
    public void Attention(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor queryPositions,
        BackendTensor keyPositions, int keyCount, int window, WeightTensor sinks, float scale, BackendTensor output,
        bool slotsByPosition = false)
    {
        if (OnCpu(sinks))
            _cpu.Attention(H(queries), H(keys), H(values), H(queryPositions), H(keyPositions), keyCount, window, sinks, scale,
                H(output, Use.Overwrite), slotsByPosition);
        else
            _gpu.Attention(G(queries), G(keys), G(values), G(queryPositions), G(keyPositions), keyCount, window, sinks, scale,
                G(output, Use.Overwrite), slotsByPosition);
    }

    /// <inheritdoc/>
    public void TopKSoftmax(BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        if (OnGpu(logits)) _gpu.TopKSoftmax(G(logits), G(experts, Use.Overwrite), G(weights, Use.Overwrite));
        else _cpu.TopKSoftmax(H(logits), H(experts, Use.Overwrite), H(weights, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void SwiGluOai(BackendTensor gate, BackendTensor up, float alpha, float limit, BackendTensor output)
    {
        if (OnGpu(gate, up)) _gpu.SwiGluOai(G(gate), G(up), alpha, limit, G(output, Use.Overwrite));
        else _cpu.SwiGluOai(H(gate), H(up), alpha, limit, H(output, Use.Overwrite));
    }

    /// <inheritdoc/>
    public void WeightedSum(BackendTensor experts, BackendTensor weights, BackendTensor output)
    {
        if (OnGpu(experts, weights)) _gpu.WeightedSum(G(experts), G(weights), G(output, Use.Overwrite));
        else _cpu.WeightedSum(H(experts), H(weights), H(output, Use.Overwrite));
    }

    // ---------------------------------------------------------------- fused ops

    /// <inheritdoc/>
    public void MatMulManyBias(ReadOnlySpan<WeightTensor> weights, ReadOnlySpan<WeightTensor> biases, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        var side = Side(weights);
        Span<BackendTensor> mine = new BackendTensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++) mine[i] = side == _cpu ? H(outputs[i], Use.Overwrite) : G(outputs[i], Use.Overwrite);
        side.MatMulManyBias(weights, biases, side == _cpu ? H(input) : G(input), mine);
    }

    /// <inheritdoc/>
    public void RopeStore(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor positions, YarnRope rope,
        BackendTensor keyCache, BackendTensor valueCache, BackendTensor slots)
    {
        if (OnGpu(queries, keys, values))
            _gpu.RopeStore(G(queries, Use.Update), G(keys, Use.Update), G(values), G(positions), rope, G(keyCache, Use.Update), G(valueCache, Use.Update), G(slots));
        else
            _cpu.RopeStore(H(queries, Use.Update), H(keys, Use.Update), H(values), H(positions), rope, H(keyCache, Use.Update), H(valueCache, Use.Update), H(slots));
    }

    /// <inheritdoc/>
    public void MatMulBiasAdd(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor scratch, BackendTensor residual)
    {
        if (OnCpu(weight)) _cpu.MatMulBiasAdd(weight, bias, H(input), H(scratch, Use.Overwrite), H(residual, Use.Update));
        else _gpu.MatMulBiasAdd(weight, bias, G(input), G(scratch, Use.Overwrite), G(residual, Use.Update));
    }

    // ---------------------------------------------------------------- sampling

    /// <inheritdoc/>
    public bool SamplesOnDevice => _placement.DeviceOf("output.weight") != Backends.Device.Cpu;

    /// <inheritdoc/>
    public int Argmax(BackendTensor logits, int row)
    {
        var t = Own(logits);
        if (!t.GpuCurrent || t.Gpu is null) return _cpu.Argmax(H(t), row);
        int best = _gpu.Argmax(t.Gpu, row);
        CountLoggedRouting();   // the argmax waited for the step
        return best;
    }

    /// <inheritdoc/>
    public int Sample(BackendTensor logits, int row, Inference.TokenDraw draw)
    {
        var t = Own(logits);
        if (!t.GpuCurrent || t.Gpu is null) return -1;   // the logits are on the host already
        int token = _gpu.Sample(t.Gpu, row, draw);
        CountLoggedRouting();   // the draw waited for the step
        return token;
    }

    // ---------------------------------------------------------------- helpers

    // The backend that runs an op of several weights: all on the CPU or all on the GPU.
    private IBackend Side(ReadOnlySpan<WeightTensor> weights)
    {
        bool cpu = OnCpu(weights[0]);
        foreach (var w in weights)
            if (OnCpu(w) != cpu)
                throw new ArgumentException($"{weights[0].Name} and {w.Name} are on different devices; one op runs on one");
        return cpu ? _cpu : _gpu;
    }

    // A weight whole on one device: an expert tensor split between the GPU and the CPU only goes through the fused expert ops.
    private static WeightTensor Whole(WeightTensor weight) => weight.DeviceData is SplitExperts
        ? throw new InvalidOperationException($"{weight.Name} is split between the GPU and the CPU; only the fused expert ops (ExpertsGateUp, ExpertsDownAdd) run it")
        : weight;

    private static nint Address(CpuTensor t) => t.Type switch
    {
        GgmlType.I32 => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t.I32)),
        GgmlType.F32 => (nint)t.F32Pointer,
        _ => throw new ArgumentException($"no raw reads into {t}"),
    };

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            DisposeExperts();
            if (_profile is not null)
            {
                Console.Error.Write("hybrid steps, host side: ");
                _profile.Print(Console.Error);
                foreach (var line in StagingMeasurements) Console.Error.WriteLine($"  staging the experts in RAM, {line}");
            }
        }
        finally
        {
            _gpuBackend.Dispose();
            _cpuBackend.Dispose();
        }
    }
}
