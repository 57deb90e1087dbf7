// Matrix products on the CPU: dense (ggml_mul_mat) and per-expert (ggml_mul_mat_id), plus the per-expert bias. Q8_0 and
// MXFP4 weights go through the integer kernels on Q8_0 activations; each op is one parallel run whose items are ranges
// of weight rows (of every active expert), so all threads stream the weights once, in order. Expert products group the
// batch's rows by expert (a counting sort into index lists, nothing copied), so each expert row is read once per tile
// of its tokens. F32 weights (the router) use the 8-lane F32 kernel; other types the dequantising fallback.

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
    public void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output)
    {
        using var timer = Time("MatMul", weight);
        var (x, y) = (Own(input), Own(output));
        RequireWeight(weight, x.Columns, "weight");
        if (weight.Slices != 1)
            throw new ArgumentException($"{weight.Name} {weight.Info.ShapeText} has {weight.Slices} slices; use MatMulExperts");
        RequireRows(y, x.Rows);
        RequireWidth(y, weight.Rows, weight.Name, " output");
        if (x.Rows == 0) return;

        if (UsesQuantKernels(weight.Type))
        {
            Quantize(x);
            int* identity = Identity(x.Rows);
            _matMul.Products[0] = Product(weight, 0, identity, identity, y, x.Rows);
            RunProducts(weight, 1);
        }
        else if (weight.Type == GgmlType.F32 && weight.RowLength % 8 == 0)
        {
            _matMul.Products[0] = default;
            _matMul.Set(this, weight, productCount: 1, f32Input: x.F32Pointer, f32Tokens: x.Rows, f32Output: y.F32Pointer);
            _pool.Run(_matMul, _matMul.Items);
        }
        else
        {
            using var prepared = new CpuMatMul.Input(weight.Type, x.F32, x.Rows, x.Columns, RoundActivations);
            CpuMatMul.Run(weight, 0, prepared, y.F32, _parallel);
        }
    }

    /// <inheritdoc/>
    public void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output)
    {
        using var timer = Time("MatMulExperts", weight);
        var (x, ids, y) = (Own(input), Own(experts), Own(output));
        RequireWeight(weight, x.Columns, "expert weight");
        int tokens = ids.Rows, k = ids.Columns, slots = tokens * k, expertCount = weight.Slices;
        bool perSlot = x.Rows == slots;
        if (!perSlot && x.Rows != tokens)
            throw new ArgumentException($"input {x} should have a row per token ({tokens}) or per expert slot ({slots})");
        RequireRows(y, slots);
        RequireWidth(y, weight.Rows, weight.Name, " output");
        var chosen = ids.I32.AsSpan(0, slots);
        foreach (int e in chosen)
            if ((uint)e >= (uint)expertCount)
                throw new ArgumentOutOfRangeException(nameof(experts), $"expert {e} is outside {weight.Name} {weight.Info.ShapeText}");
        if (slots == 0) return;

        if (!UsesQuantKernels(weight.Type))
        {
            MatMulExpertsFallback(weight, x, ids, y, perSlot);
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
        int start = 0, products = 0;
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
        if (_matMul.Products.Length < expertCount) _matMul.Products = new QuantMatMul[expertCount];
        int* xRows = Pin(_xRows), yRows = Pin(_yRows);
        for (int e = 0, first = 0; e < expertCount; first += counts[e], e++)
            if (counts[e] > 0)
                _matMul.Products[products++] = Product(weight, e, xRows + first, yRows + first, y, counts[e]);
        RunProducts(weight, products);
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

    private bool UsesQuantKernels(GgmlType type) => RoundActivations && type is GgmlType.Q8_0 or GgmlType.MXFP4;

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

    private void RunProducts(WeightTensor weight, int products)
    {
        _matMul.Set(this, weight, products, null, 0, null);
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

    /// <summary>One mat-mul op: items are ranges of weight rows of each product (expert), in memory order.</summary>
    private sealed class MatMulWork : CpuThreadPool.IWork
    {
        public QuantMatMul[] Products = new QuantMatMul[1];
        private CpuIsa _isa;
        private GgmlType _type;
        private int _rows, _rowsPerItem, _itemsPerProduct;
        private float* _f32Weights, _f32Input, _f32Output;
        private int _f32Length, _f32Tokens;

        public int Items { get; private set; }

        public void Set(CpuBackend backend, WeightTensor weight, int productCount, float* f32Input, int f32Tokens, float* f32Output)
        {
            _type = weight.Type;
            _isa = backend.KernelIsa(weight.Type);
            _rows = weight.Rows;
            _rowsPerItem = (int)Math.Clamp(ItemBytes / weight.RowBytes, 1, _rows);
            // The MXFP4 kernels take rows eight at a time; a ragged item would send its rest down the one-row loop.
            if (_type == GgmlType.MXFP4 && _rowsPerItem < _rows) _rowsPerItem = Math.Max(8, _rowsPerItem & ~7);
            _itemsPerProduct = (_rows + _rowsPerItem - 1) / _rowsPerItem;
            Items = productCount * _itemsPerProduct;
            if (_type == GgmlType.F32)
            {
                _f32Weights = (float*)weight.SliceAddress(0);
                _f32Length = weight.RowLength;
                _f32Input = f32Input;
                _f32Tokens = f32Tokens;
                _f32Output = f32Output;
            }
        }

        public void Execute(int item, int thread)
        {
            int product = item / _itemsPerProduct;
            int rowStart = item % _itemsPerProduct * _rowsPerItem, rowEnd = Math.Min(_rows, rowStart + _rowsPerItem);
            switch (_type)
            {
                case GgmlType.MXFP4: Q8_0Mxfp4wMatMul.Rows(_isa, Products[product], rowStart, rowEnd); break;
                case GgmlType.Q8_0: Q8_0Q8_0wMatMul.Rows(_isa, Products[product], rowStart, rowEnd); break;
                default: F32F32wMatMul.Rows(_isa, _f32Weights, _f32Length, _f32Input, _f32Tokens, _f32Output, _rows, rowStart, rowEnd); break;
            }
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
