// Matrix products on the CPU: dense (ggml_mul_mat) and per-expert (ggml_mul_mat_id), plus the per-expert bias. Q8_0 and
// MXFP4 weights go through the integer kernels on Q8_0 activations; each op is one parallel run whose items are ranges
// of weight rows (of every product: each weight of a fused call, each active expert), so all threads stream the weights
// once, in order, and a decode step has few synchronisations. Products of one input (Q, K, V; gate and up) share one
// quantisation and one run. Expert products group the batch's rows by expert (a counting sort into index lists,
// nothing copied), so each expert row is read once per tile of its tokens. F32 weights (the router) use the 8-lane F32
// kernel; other types the dequantising fallback.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Quants;

namespace Tessera.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // About this many weight bytes per work item: small enough to balance, large enough to amortise the call.
    private const int ItemBytes = 24 * 1024;

    private readonly ParallelOptions _parallel;
    private readonly Q8_0Rows _q8 = new();
    private readonly MatMulWork _matMul = new();
    private readonly QuantizeWork _quantize = new();
    private int[] _identity = [];
    private int[] _xRows = [], _yRows = [], _expertCounts = [], _expertNext = [];

    /// <inheritdoc/>
    public void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output) =>
        MatMulMany(new ReadOnlySpan<WeightTensor>(ref weight), input, new ReadOnlySpan<BackendTensor>(ref output));

    /// <inheritdoc/>
    public void MatMulMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        using var timer = Time("MatMul", weights[0]);
        var x = Own(input);
        if (weights.Length != outputs.Length)
            throw new ArgumentException($"{weights.Length} weights for {outputs.Length} outputs");
        for (int i = 0; i < weights.Length; i++)
        {
            var (weight, y) = (weights[i], Own(outputs[i]));
            RequireWeight(weight, x.Columns, "weight");
            if (weight.Slices != 1)
                throw new ArgumentException($"{weight.Name} {weight.Info.ShapeText} has {weight.Slices} slices; use MatMulExperts");
            RequireRows(y, x.Rows);
            RequireWidth(y, weight.Rows, weight.Name, " output");
        }
        if (x.Rows == 0) return;

        if (SameQuantType(weights))
        {
            Quantize(x);
            int* identity = Identity(x.Rows);
            _matMul.Reserve(weights.Length);
            for (int i = 0; i < weights.Length; i++)
                _matMul.Products[i] = Product(weights[i], 0, identity, identity, Own(outputs[i]), x.Rows);
            RunProducts(weights[0].Type, weights.Length);
            return;
        }
        for (int i = 0; i < weights.Length; i++)
        {
            var (weight, y) = (weights[i], Own(outputs[i]));
            if (weight.Type == GgmlType.F32 && weight.RowLength % 8 == 0)
            {
                _matMul.SetF32(this, weight, x.F32Pointer, x.Rows, y.F32Pointer);
                _pool.Run(_matMul, _matMul.Items);
            }
            else
            {
                using var prepared = new CpuMatMul.Input(weight.Type, x.F32, x.Rows, x.Columns, RoundActivations);
                CpuMatMul.Run(weight, 0, prepared, y.F32, _parallel);
            }
        }
    }

    /// <inheritdoc/>
    public void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output) =>
        MatMulExpertsMany(new ReadOnlySpan<WeightTensor>(ref weight), input, experts, new ReadOnlySpan<BackendTensor>(ref output));

    /// <inheritdoc/>
    public void MatMulExpertsMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, BackendTensor experts, ReadOnlySpan<BackendTensor> outputs)
    {
        using var timer = Time("MatMulExperts", weights[0]);
        var (x, ids) = (Own(input), Own(experts));
        if (weights.Length != outputs.Length)
            throw new ArgumentException($"{weights.Length} weights for {outputs.Length} outputs");
        int tokens = ids.Rows, k = ids.Columns, slots = tokens * k, expertCount = weights[0].Slices;
        bool perSlot = x.Rows == slots;
        if (!perSlot && x.Rows != tokens)
            throw new ArgumentException($"input {x} should have a row per token ({tokens}) or per expert slot ({slots})");
        for (int i = 0; i < weights.Length; i++)
        {
            var (weight, y) = (weights[i], Own(outputs[i]));
            RequireWeight(weight, x.Columns, "expert weight");
            if (weight.Slices != expertCount)
                throw new ArgumentException($"{weight.Name} {weight.Info.ShapeText} has {weight.Slices} experts, {weights[0].Name} {expertCount}");
            RequireRows(y, slots);
            RequireWidth(y, weight.Rows, weight.Name, " output");
        }
        var chosen = ids.I32.AsSpan(0, slots);
        foreach (int e in chosen)
            if ((uint)e >= (uint)expertCount)
                throw new ArgumentOutOfRangeException(nameof(experts), $"expert {e} is outside {weights[0].Name} {weights[0].Info.ShapeText}");
        if (slots == 0) return;

        if (!SameQuantType(weights))
        {
            for (int i = 0; i < weights.Length; i++) MatMulExpertsFallback(weights[i], x, ids, Own(outputs[i]), perSlot);
            return;
        }

        // Which activation rows (token t, or slot t·k + j) and output rows (slot) each expert serves, grouped by expert.
        Grow(ref _expertCounts, expertCount);
        Grow(ref _expertNext, expertCount);
        Grow(ref _xRows, slots);
        Grow(ref _yRows, slots);
        var counts = _expertCounts.AsSpan(0, expertCount);
        counts.Clear();
        foreach (int e in chosen) counts[e]++;
        int start = 0;
        for (int e = 0; e < expertCount; e++)
        {
            _expertNext[e] = start;
            start += counts[e];
        }
        for (int slot = 0; slot < slots; slot++)
        {
            int at = _expertNext[chosen[slot]]++;
            _xRows[at] = perSlot ? slot : slot / k;
            _yRows[at] = slot;
        }

        Quantize(x);
        _matMul.Reserve(weights.Length * expertCount);
        int* xRows = Pin(_xRows), yRows = Pin(_yRows);
        int products = 0;
        for (int i = 0; i < weights.Length; i++)
            for (int e = 0, first = 0; e < expertCount; first += counts[e], e++)
                if (counts[e] > 0)
                    _matMul.Products[products++] = Product(weights[i], e, xRows + first, yRows + first, Own(outputs[i]), counts[e]);
        RunProducts(weights[0].Type, products);
    }

    /// <inheritdoc/>
    public void AddExpertBias(BackendTensor x, WeightTensor bias, BackendTensor experts)
    {
        using var timer = new CpuProfile.Timer(_profile, "AddExpertBias");
        var (t, ids) = (Own(x), Own(experts));
        RequireWidth(t, bias.RowLength, bias.Name);
        RequireRows(t, ids.Rows * ids.Columns);
        for (int slot = 0; slot < t.Rows; slot++) F32Arithmetic.Add(Isa, t.Row(slot), bias.F32Row(ids.I32[slot]));
    }

    // Whether every weight goes through the integer kernels, all of one type (so one run serves them all).
    private bool SameQuantType(ReadOnlySpan<WeightTensor> weights)
    {
        if (!RoundActivations || weights[0].Type is not (GgmlType.Q8_0 or GgmlType.MXFP4)) return false;
        foreach (var w in weights)
            if (w.Type != weights[0].Type) return false;
        return true;
    }

    // The strategy for a weight type: AVX-512 machines that also have AVX-VNNI get its vpdpbusd for Q8_0 weights, which
    // beats emulating vpsignb in 512-bit registers (see Q8_0Q8_0wMatMul.Avx512.cs).
    private CpuIsa KernelIsa(GgmlType type) =>
        Isa == CpuIsa.Avx512 && type == GgmlType.Q8_0 && CpuIsaSupport.HasAvxVnni ? CpuIsa.AvxVnni : Isa;

    private void Quantize(CpuTensor x)
    {
        using var timer = new CpuProfile.Timer(_profile, "(quantize, inside mat-muls)");
        _q8.Reset(x.Rows, x.Columns);
        _quantize.Set(this, x);
        if (x.Rows >= 8) _pool.Run(_quantize, x.Rows);
        else for (int t = 0; t < x.Rows; t++) _quantize.Execute(t, 0);
    }

    private QuantMatMul Product(WeightTensor weight, int slice, int* xRows, int* yRows, CpuTensor y, int count) => new()
    {
        Weights = weight.SliceAddress(slice),
        Rows = weight.Rows,
        RowBytes = weight.RowBytes,
        Blocks = weight.RowLength / 32,
        XQuants = _q8.Quants,
        XStartMxfp4 = _q8.StartMxfp4,
        XStartQ8_0 = _q8.StartQ8_0,
        XScales = _q8.Scales,
        XRows = xRows,
        Y = y.F32Pointer,
        YRows = yRows,
        YStride = y.Columns,
        Count = count,
    };

    private void RunProducts(GgmlType type, int products)
    {
        _matMul.SetProducts(this, type, products);
        _pool.Run(_matMul, _matMul.Items);
    }

    // ggml_mul_mat_id for types without an integer kernel: each expert's rows gathered, multiplied, scattered back.
    private void MatMulExpertsFallback(WeightTensor weight, CpuTensor x, CpuTensor ids, CpuTensor y, bool perSlot)
    {
        int k = ids.Columns, inputs = weight.RowLength, outputs = weight.Rows;
        for (int e = 0; e < weight.Slices; e++)
        {
            var slots = Enumerable.Range(0, ids.Rows * k).Where(s => ids.I32[s] == e).ToArray();
            if (slots.Length == 0) continue;
            var xe = new float[slots.Length * inputs];
            var ye = new float[slots.Length * outputs];
            for (int i = 0; i < slots.Length; i++)
                Array.Copy(x.F32, (perSlot ? slots[i] : slots[i] / k) * inputs, xe, i * inputs, inputs);
            using (var prepared = new CpuMatMul.Input(weight.Type, xe, slots.Length, inputs, RoundActivations))
                CpuMatMul.Run(weight, e, prepared, ye, _parallel);
            for (int i = 0; i < slots.Length; i++) Array.Copy(ye, i * outputs, y.F32, slots[i] * outputs, outputs);
        }
    }

    private int* Identity(int rows)
    {
        if (_identity.Length < rows)
        {
            Grow(ref _identity, rows);
            for (int i = 0; i < _identity.Length; i++) _identity[i] = i;
        }
        return Pin(_identity);
    }

    // Pinned index arrays, grown (never shrunk) to at least n.
    private static void Grow(ref int[] array, int n)
    {
        if (array.Length < n) array = GC.AllocateArray<int>(Math.Max(n, array.Length * 2), pinned: true);
    }

    private static int* Pin(int[] pinned) => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    /// <summary>One mat-mul op: items are ranges of weight rows of each product (weight or expert), in memory order.</summary>
    private sealed class MatMulWork : CpuThreadPool.IWork
    {
        public QuantMatMul[] Products = new QuantMatMul[4];
        private int[] _firstItem = new int[5];      // product p's items are [_firstItem[p], _firstItem[p + 1])
        private int[] _rowsPerItem = new int[4];
        private int _products;
        private CpuIsa _isa;
        private GgmlType _type;
        private float* _f32Weights, _f32Input, _f32Output;
        private int _f32Length, _f32Tokens, _f32Rows, _f32RowsPerItem;

        public int Items { get; private set; }

        public void Reserve(int products)
        {
            if (Products.Length >= products) return;
            Products = new QuantMatMul[products];
            _firstItem = new int[products + 1];
            _rowsPerItem = new int[products];
        }

        public void SetProducts(CpuBackend backend, GgmlType type, int products)
        {
            _type = type;
            _isa = backend.KernelIsa(type);
            _products = products;
            int items = 0;
            for (int p = 0; p < products; p++)
            {
                ref var m = ref Products[p];
                int rowsPerItem = (int)Math.Clamp(ItemBytes / m.RowBytes, 1, m.Rows);
                // The MXFP4 kernels take rows eight at a time; a ragged item would send its rest down the one-row loop.
                if (type == GgmlType.MXFP4 && rowsPerItem < m.Rows) rowsPerItem = Math.Max(8, rowsPerItem & ~7);
                _rowsPerItem[p] = rowsPerItem;
                _firstItem[p] = items;
                items += (m.Rows + rowsPerItem - 1) / rowsPerItem;
            }
            _firstItem[products] = items;
            Items = items;
        }

        public void SetF32(CpuBackend backend, WeightTensor weight, float* input, int tokens, float* output)
        {
            _type = GgmlType.F32;
            _isa = backend.Isa;
            _f32Weights = (float*)weight.SliceAddress(0);
            _f32Length = weight.RowLength;
            _f32Rows = weight.Rows;
            _f32Input = input;
            _f32Tokens = tokens;
            _f32Output = output;
            _f32RowsPerItem = (int)Math.Clamp(ItemBytes / weight.RowBytes, 1, weight.Rows);
            Items = (weight.Rows + _f32RowsPerItem - 1) / _f32RowsPerItem;
        }

        public void Execute(int item, int thread)
        {
            if (_type == GgmlType.F32)
            {
                int start = item * _f32RowsPerItem;
                F32F32wMatMul.Rows(_isa, _f32Weights, _f32Length, _f32Input, _f32Tokens, _f32Output, _f32Rows, start, Math.Min(_f32Rows, start + _f32RowsPerItem));
                return;
            }
            int p = _products == 1 ? 0 : Array.BinarySearch(_firstItem, 0, _products + 1, item);
            if (p < 0) p = ~p - 1;
            else while (p + 1 < _products && _firstItem[p + 1] == item) p++;   // products with no items share a first item
            ref var m = ref Products[p];
            int rowStart = (item - _firstItem[p]) * _rowsPerItem[p], rowEnd = Math.Min(m.Rows, rowStart + _rowsPerItem[p]);
            if (_type == GgmlType.MXFP4) Q8_0Mxfp4wMatMul.Rows(_isa, m, rowStart, rowEnd);
            else Q8_0Q8_0wMatMul.Rows(_isa, m, rowStart, rowEnd);
        }
    }

    /// <summary>Quantises one activation row per item.</summary>
    private sealed class QuantizeWork : CpuThreadPool.IWork
    {
        private CpuBackend? _backend;
        private CpuTensor? _x;

        public void Set(CpuBackend backend, CpuTensor x) => (_backend, _x) = (backend, x);

        public void Execute(int item, int thread) => _backend!._q8.Quantize(_backend.Isa, _x!.Row(item), item);
    }
}
