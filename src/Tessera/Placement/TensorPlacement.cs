// Where each weight of a model lives when it runs on a GPU and the CPU at once: a device per tensor, and for the expert
// tensors of a layer (ffn_gate_exps, ffn_up_exps, ffn_down_exps and their biases, which always go together) the set of
// experts held in VRAM, the rest computed by the CPU from the mapped file. The planner makes one from the user's flags and
// the VRAM there is; the hybrid backend executes it. The token embedding always stays in RAM (one row is read per token).

using System.Text.RegularExpressions;
using Tessera.Backends;

namespace Tessera.Placement;

/// <summary>A device for every tensor of a model and, per layer, which experts are in GPU memory.</summary>
public sealed partial class TensorPlacement
{
    private readonly Func<string, Device> _tensorDevice;
    private readonly bool[][] _gpuExperts;

    /// <param name="layers">Blocks of the model.</param>
    /// <param name="experts">Experts per block.</param>
    /// <param name="tensorDevice">Device of every tensor that is not an expert tensor.</param>
    /// <param name="gpuExperts">Per block, which experts are in GPU memory (length <paramref name="experts"/>).</param>
    /// <param name="gpu">The GPU this placement uses.</param>
    public TensorPlacement(int layers, int experts, Func<string, Device> tensorDevice, Func<int, bool[]> gpuExperts, Device? gpu = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Layers = layers;
        Experts = experts;
        Gpu = gpu ?? Device.Cuda(0);
        _tensorDevice = tensorDevice;
        _gpuExperts = new bool[layers][];
        for (int il = 0; il < layers; il++)
        {
            var set = gpuExperts(il);
            if (set.Length != experts)
                throw new ArgumentException($"layer {il}: {set.Length} expert flags for {experts} experts", nameof(gpuExperts));
            _gpuExperts[il] = (bool[])set.Clone();
        }
    }

    /// <summary>Everything on <paramref name="device"/> (the token embedding aside).</summary>
    public static TensorPlacement All(Device device, int layers, int experts) =>
        new(layers, experts, _ => device, _ => Enumerable.Repeat(device != Device.Cpu, experts).ToArray(),
            device != Device.Cpu ? device : null);

    /// <summary>Blocks of the model.</summary>
    public int Layers { get; }

    /// <summary>Experts per block.</summary>
    public int Experts { get; }

    /// <summary>The GPU the GPU-side tensors go to.</summary>
    public Device Gpu { get; }

    /// <summary>Where a tensor that is not an expert tensor lives; for an expert tensor, the GPU when any of its layer's
    /// experts is there (see <see cref="GpuExperts"/>), else the CPU.</summary>
    public Device DeviceOf(string tensorName)
    {
        if (ExpertLayer(tensorName) is int il)
            return Array.IndexOf(_gpuExperts[il], true) >= 0 ? Gpu : Device.Cpu;
        return _tensorDevice(tensorName);
    }

    /// <summary>Where block <paramref name="layer"/>'s attention runs and its KV cache lives: with its sinks
    /// (<c>blk.N.attn_sinks.weight</c>), the one weight the attention op itself reads.</summary>
    public Device AttentionDevice(int layer) => DeviceOf($"blk.{layer}.attn_sinks.weight");

    /// <summary>Which experts of block <paramref name="layer"/> are in GPU memory.</summary>
    public ReadOnlySpan<bool> GpuExperts(int layer) => _gpuExperts[layer];

    /// <summary>Experts of block <paramref name="layer"/> in GPU memory.</summary>
    public int GpuExpertCount(int layer) => _gpuExperts[layer].Count(x => x);

    /// <summary>Whether block <paramref name="layer"/>'s experts are split between the GPU and the CPU.</summary>
    public bool SplitsExperts(int layer)
    {
        int n = GpuExpertCount(layer);
        return n > 0 && n < Experts;
    }

    /// <summary>Whether every tensor named is on the GPU and every expert too (a plain GPU run).</summary>
    public bool AllOnGpu(IEnumerable<string> tensorNames) =>
        _gpuExperts.All(l => l.All(x => x)) && tensorNames.All(n => n == "token_embd.weight" || DeviceOf(n) != Device.Cpu);

    /// <summary>Whether nothing is on the GPU (a plain CPU run).</summary>
    public bool NothingOnGpu(IEnumerable<string> tensorNames) =>
        _gpuExperts.All(l => !l.Any(x => x)) && tensorNames.All(n => DeviceOf(n) == Device.Cpu);

    /// <summary>The block of an expert tensor (<c>blk.N.ffn_{gate,up,down}_exps.{weight,bias}</c>), else null.</summary>
    public static int? ExpertLayer(string tensorName)
    {
        var m = ExpertTensorName().Match(tensorName);
        return m.Success ? int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^blk\.(\d+)\.ffn_(gate|up|down)_exps\.(weight|bias)$")]
    private static partial Regex ExpertTensorName();
}
