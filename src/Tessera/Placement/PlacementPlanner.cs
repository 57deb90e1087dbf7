// Chooses where each tensor and expert goes for a GPU memory budget (issue 10). Flags that fix the placement (-ngl N,
// --cpu-moe, --n-cpu-moe, -ot) are honoured exactly and only reported on. Otherwise: everything on the GPU when it fits;
// else the non-expert tensors (attention, norms, router, head) and the KV cache on the GPU, and the rest of the budget
// filled with whole experts, the ones the router picks most first (counted in earlier runs), ties filling whole blocks in
// block order: measured on an H200 with 16 cores (docs/hybrid.md), a block with every expert on one side skips a round
// trip to the CPU, and a CPU block computes its four experts in one pass, which beat spreading equal experts round robin
// (uniform routing, 8 GiB: 116 against 96 tokens/s). When even the non-expert part does not
// fit, whole blocks move to RAM from block 0 on, as llama.cpp's -ngl does, then the head.
// With GPU bandwidth above the CPU's, every expert moved to the GPU shortens a token (DecodeSpeedModel), so filling the
// budget hottest first is what maximises the predicted speed.

using Tessera.Backends;
using Tessera.Models.GptOss;

namespace Tessera.Placement;

/// <summary>Plans tensor placement for a GPU memory budget.</summary>
public static class PlacementPlanner
{
    /// <summary>The placement for <paramref name="model"/> under <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The flags split a block's expert tensors between RAM and the GPU.</exception>
    public static PlacementPlan Plan(ModelTensors model, PlanOptions options)
    {
        options.Request.Validate();
        var hp = model.HyperParameters;
        var usage = options.Usage is { } u && u.Layers == hp.BlockCount && u.Experts == hp.ExpertCount ? u : null;
        long picks = usage is null ? 0 : Enumerable.Range(0, usage.Layers).Sum(usage.Total);
        var state = options.Request.IsExplicit(hp.BlockCount) || options.Request.CpuOnly
            ? FromFlags(model, options.Request)
            : Choose(model, options, picks > 0 ? usage : null);
        var placement = state.Build();
        var vram = VramModel.Estimate(model, placement, options.ContextSize, options.BatchSize, options.KvCacheType);
        var notes = state.Notes;
        if (vram.Total > options.GpuMemoryBytes && state.FromFlags)
            notes.Add($"the placement asked for needs {MemorySize.Format(vram.Total)} of GPU memory, more than the {MemorySize.Format(options.GpuMemoryBytes)} budget");
        return new PlacementPlan
        {
            Model = model,
            Placement = placement,
            Vram = vram,
            BudgetBytes = options.GpuMemoryBytes,
            Options = options,
            FromFlags = state.FromFlags,
            CountedPicks = state.FromFlags ? 0 : picks,
            Notes = notes,
        };
    }

    // The user's flags, tensor by tensor; a block's expert tensors go where its three weights go (biases follow).
    private static State FromFlags(ModelTensors model, PlacementRequest request)
    {
        var hp = model.HyperParameters;
        var gpu = Device.Cuda(0);
        var state = new State(hp, fromFlags: true) { TensorDevice = name => request.DeviceOf(name, hp.BlockCount, gpu) };
        for (int il = 0; il < hp.BlockCount; il++)
        {
            var names = new[] { GptOssTensorNames.FfnGateExps, GptOssTensorNames.FfnUpExps, GptOssTensorNames.FfnDownExps }
                .Select(n => GptOssTensorNames.Block(il, n)).ToArray();
            var devices = names.Select(n => request.DeviceOf(n, hp.BlockCount, gpu)).ToArray();
            if (devices.Distinct().Count() > 1)
                throw new ArgumentException($"the placement flags put {string.Join(", ", names.Select((n, i) => $"{n} on {Where(devices[i])}"))}: "
                    + "a block's expert tensors (gate, up and down, with their biases) go to one place");
            Array.Fill(state.GpuExperts[il], devices[0] != Device.Cpu);
        }
        if (request.Overrides.FirstOrDefault(o => o.Device != Device.Cpu && o.Matches(GptOssTensorNames.TokenEmbedding)) is { } rule && !request.CpuOnly)
            state.Notes.Add($"{GptOssTensorNames.TokenEmbedding} stays in RAM (one row is read per token), whatever -ot {rule} says");
        return state;
    }

    private static string Where(Device d) => d == Device.Cpu ? "the CPU" : "the GPU";

    // The planner's own choice for the budget.
    private static State Choose(ModelTensors model, PlanOptions options, ExpertUsage? usage)
    {
        var hp = model.HyperParameters;
        long budget = options.GpuMemoryBytes;
        long Need(State s) => VramModel.Estimate(model, s.Build(), options.ContextSize, options.BatchSize, options.KvCacheType).Total;

        var state = new State(hp, fromFlags: false);
        foreach (var set in state.GpuExperts) Array.Fill(set, true);
        if (Need(state) <= budget) return state;

        // The non-expert part with every expert in RAM; blocks, then the head, go to RAM while even that is too much.
        foreach (var set in state.GpuExperts) Array.Fill(set, false);
        int moved = 0;
        while (Need(state) > budget && (moved < hp.BlockCount || state.HeadOnGpu))
        {
            if (moved < hp.BlockCount) state.BlockOnGpu[moved++] = false;
            else state.HeadOnGpu = false;
        }
        if (moved == hp.BlockCount && !state.HeadOnGpu)
        {
            state.Notes.Add($"{MemorySize.Format(budget)} of GPU memory is too little to put anything on the GPU (the CUDA context and work "
                + $"buffers take {MemorySize.Format(VramModel.ContextOverheadBytes + VramModel.WorkBufferBytes(hp, options.ContextSize, options.BatchSize))} before any weight): everything stays in RAM");
            return state;
        }
        if (moved > 0)
            state.Notes.Add($"{MemorySize.Format(budget)} of GPU memory does not hold the attention, head and KV cache of every block: "
                + $"block{(moved > 1 ? $"s 0-{moved - 1} run" : " 0 runs")} in RAM on the CPU{(state.HeadOnGpu ? "" : ", and the output head too")}");

        Fill(model, usage, state, budget - Need(state));
        return state;
    }

    // Adds whole experts, hottest first, while they fit in `room`; adding one may also shrink the prefill staging (it is
    // sized by the block that keeps the most experts in RAM, blocks moved to RAM included).
    private static void Fill(ModelTensors model, ExpertUsage? usage, State state, long room)
    {
        var hp = model.HyperParameters;
        var gpuBlocks = Enumerable.Range(0, hp.BlockCount).Where(il => state.BlockOnGpu[il]).ToArray();
        var sliceBytes = Enumerable.Range(0, hp.BlockCount).Select(il => VramModel.ExpertSliceBytes(model, il)).ToArray();
        var cpuCount = Enumerable.Repeat(hp.ExpertCount, hp.BlockCount).ToArray();
        long Staging() => Enumerable.Range(0, hp.BlockCount).Max(il => VramModel.StagingBytes(cpuCount[il], sliceBytes[il]));
        long staging = Staging();
        foreach (var (il, e) in Order(gpuBlocks, hp.ExpertCount, usage))
        {
            cpuCount[il]--;
            long newStaging = Staging();
            // The expert's bias rows are on the GPU already (VramModel.Estimate): its slices are what it adds.
            long cost = sliceBytes[il] + newStaging - staging;
            if (cost > room)
            {
                cpuCount[il]++;
                continue;
            }
            room -= cost;
            staging = newStaging;
            state.GpuExperts[il][e] = true;
        }
    }

    /// <summary>Experts of <paramref name="blocks"/> from the most picked down: by share of their block's picks (uniform
    /// without counts), ties by block and then by rank within the block, so that equal experts fill whole blocks.</summary>
    public static IEnumerable<(int Block, int Expert)> Order(IReadOnlyList<int> blocks, int experts, ExpertUsage? usage)
    {
        double Share(int il, int e) => usage?.Share(il, e) ?? 1.0 / experts;
        var ranked = new List<(int Block, int Expert, double Share, int Rank)>();
        foreach (int il in blocks)
        {
            var order = Enumerable.Range(0, experts).OrderByDescending(e => Share(il, e)).ThenBy(e => e).ToArray();
            for (int rank = 0; rank < experts; rank++) ranked.Add((il, order[rank], Share(il, order[rank]), rank));
        }
        return ranked.OrderByDescending(x => x.Share).ThenBy(x => x.Block).ThenBy(x => x.Rank).Select(x => (x.Block, x.Expert));
    }

    // The planner's working placement: blocks and head on the GPU or not, experts per block, or the user's per-tensor map.
    private sealed class State
    {
        private readonly GptOssHyperParameters _hp;

        public State(GptOssHyperParameters hp, bool fromFlags)
        {
            _hp = hp;
            FromFlags = fromFlags;
            BlockOnGpu = Enumerable.Repeat(true, hp.BlockCount).ToArray();
            GpuExperts = Enumerable.Range(0, hp.BlockCount).Select(_ => new bool[hp.ExpertCount]).ToArray();
        }

        public bool FromFlags { get; }
        public bool[] BlockOnGpu { get; }
        public bool HeadOnGpu { get; set; } = true;
        public bool[][] GpuExperts { get; }
        public Func<string, Device>? TensorDevice { get; init; }
        public List<string> Notes { get; } = [];

        public TensorPlacement Build() => new(_hp.BlockCount, _hp.ExpertCount, TensorDevice ?? DeviceOf, il => GpuExperts[il], Device.Cuda(0));

        private Device DeviceOf(string name)
        {
            if (name == GptOssTensorNames.TokenEmbedding) return Device.Cpu;
            bool gpu = PlacementRequest.BlockOf(name) is int il ? BlockOnGpu[il] : HeadOnGpu;
            return gpu ? Device.Cuda(0) : Device.Cpu;
        }
    }
}
