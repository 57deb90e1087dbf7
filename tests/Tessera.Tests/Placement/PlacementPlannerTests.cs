// The planner on the gpt-oss-20b shape (from its layout, no file): at 4, 6, 8, 12 and 16 GiB it never exceeds the budget,
// more budget never puts less on the GPU nor predicts a slower token; at 8 GiB about 60% of the experts fit; experts are
// spread round robin without counts and taken hottest first with them; too small a budget moves whole blocks to RAM
// from block 0 on, then the head; the user's flags are honoured exactly and only reported on.

using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Tests.Placement;

public class PlacementPlannerTests
{
    private static readonly ModelTensors Gpt20b = VramModelTests.Gpt20b;
    private static readonly Bandwidths H200 = new(80e9, "test", 4.8e12 * Bandwidths.GpuEfficiency, "test");

    private static PlacementPlan Plan(double gib, PlacementRequest? request = null, ExpertUsage? usage = null) =>
        PlacementPlanner.Plan(Gpt20b, new PlanOptions { GpuMemoryBytes = (long)(gib * (1L << 30)), Request = request ?? new(), Usage = usage });

    private static int GpuExperts(PlacementPlan p) => Enumerable.Range(0, 24).Sum(p.Placement.GpuExpertCount);

    [Fact]
    public void MoreBudgetPutsMoreOnTheGpuPredictsNoSlowerAndNeverExceedsTheBudget()
    {
        var budgets = new[] { 4.0, 6, 8, 12, 16 };
        var plans = budgets.Select(b => Plan(b)).ToArray();
        var speeds = plans.Select(p => DecodeSpeedModel.Predict(p, H200).TokensPerSecond).ToArray();
        for (int i = 0; i < plans.Length; i++)
        {
            Assert.True(plans[i].FitsBudget, $"{budgets[i]} GiB: {plans[i].Vram}");
            Assert.False(plans[i].FromFlags);
            Assert.Empty(plans[i].Notes);
            Assert.Equal(24, plans[i].GpuBlocks);   // attention, router and KV always fit from 4 GiB
            Assert.True(plans[i].HeadOnGpu);
            if (i == 0) continue;
            Assert.True(GpuExperts(plans[i]) >= GpuExperts(plans[i - 1]), $"{budgets[i]} GiB holds fewer experts");
            Assert.True(speeds[i] >= speeds[i - 1], $"{budgets[i]} GiB predicts {speeds[i]:F1} < {speeds[i - 1]:F1}");
        }
        Assert.InRange(GpuExperts(plans[2]) / 768.0, 0.55, 0.70);   // 8 GiB: about 60% of the experts
        Assert.True(plans[3].AllOnGpu);
        Assert.True(plans[4].AllOnGpu);
        Assert.False(plans[2].AllOnGpu);
    }

    [Fact]
    public void WithoutCountsExpertsFillWholeBlocks()
    {
        var plan = Plan(8);
        var counts = Enumerable.Range(0, 24).Select(plan.Placement.GpuExpertCount).ToArray();
        Assert.Equal("uniform", plan.Routing);
        // Blocks in order: whole blocks on the GPU, then at most one block split, then blocks whose experts are all in RAM.
        Assert.True(counts.Count(c => c > 0 && c < 32) <= 1, string.Join(",", counts));
        Assert.Equal(counts.OrderByDescending(c => c), counts);
        Assert.Contains(32, counts);
        Assert.Contains(0, counts);
        // A block that is split holds its lowest-numbered experts (ties by index): its set is a prefix.
        for (int il = 0; il < 24; il++)
            Assert.Equal(Enumerable.Range(0, 32).Select(e => e < counts[il]), plan.Placement.GpuExperts(il).ToArray());
    }

    [Fact]
    public void WithCountsTheHottestExpertsGoFirst()
    {
        var usage = Skewed(seed: 3);
        var plan = Plan(8, usage: usage);
        Assert.Equal(usage.TotalPicks, plan.CountedPicks);
        Assert.StartsWith("counted", plan.Routing);
        for (int il = 0; il < 24; il++)
        {
            var set = plan.Placement.GpuExperts(il).ToArray();
            double coldestOnGpu = Enumerable.Range(0, 32).Where(e => set[e]).Min(e => usage.Share(il, e));
            double hottestInRam = Enumerable.Range(0, 32).Where(e => !set[e]).Select(e => usage.Share(il, e)).DefaultIfEmpty(0).Max();
            Assert.True(coldestOnGpu >= hottestInRam, $"block {il}");
        }
        // The same budget predicts faster with the hot experts on the GPU than with the uniform choice under the same routing.
        var uniform = Plan(8);
        double hot = DecodeSpeedModel.Predict(plan, H200).TokensPerSecond;
        double spread = DecodeSpeedModel.Predict(Gpt20b, uniform.Placement, H200, 2048, usage).TokensPerSecond;
        Assert.True(hot > spread * 1.2, $"hot {hot:F1}, spread {spread:F1}");
        Assert.True(Enumerable.Range(0, 24).Average(plan.GpuShare) > 0.8);
    }

    [Fact]
    public void CountsOfAnotherShapeAreIgnored()
    {
        var other = new ExpertUsage(2, 4);
        other.Add(0, 1, 100);
        var plan = Plan(8, usage: other);
        Assert.Equal(0, plan.CountedPicks);
        Assert.Equal("uniform", plan.Routing);
    }

    [Fact]
    public void TooSmallABudgetMovesWholeBlocksToRamFromTheFirstThenTheHead()
    {
        var plan = Plan(2.2);
        Assert.True(plan.FitsBudget);
        int gpuBlocks = plan.GpuBlocks;
        Assert.InRange(gpuBlocks, 1, 23);
        for (int il = 0; il < 24; il++)
        {
            bool onGpu = il >= 24 - gpuBlocks;
            Assert.Equal(onGpu, plan.Placement.AttentionDevice(il) != Device.Cpu);
            Assert.Equal(onGpu, plan.Placement.DeviceOf($"blk.{il}.attn_q.weight") != Device.Cpu);
            if (!onGpu) Assert.Equal(0, plan.Placement.GpuExpertCount(il));
        }
        Assert.Contains(plan.Notes, n => n.Contains("run in RAM on the CPU") || n.Contains("runs in RAM on the CPU"));

        var nothing = Plan(0.5);
        Assert.True(nothing.NothingOnGpu);
        Assert.Same(VramEstimate.None, nothing.Vram);
        Assert.Contains(nothing.Notes, n => n.Contains("is too little to put anything on the GPU (the CUDA context and work buffers take "));
        Assert.Equal("placement: everything in RAM (the CPU)", nothing.Summary());
    }

    [Fact]
    public void PartialGpuLayersAreHonouredAsLlamaCppPlacesThem()
    {
        var plan = Plan(16, new PlacementRequest { GpuLayers = 14 });
        Assert.True(plan.FromFlags);
        Assert.Equal(14, plan.GpuBlocks);
        for (int il = 0; il < 24; il++)
            Assert.Equal(il >= 10 ? 32 : 0, plan.Placement.GpuExpertCount(il));
        Assert.False(plan.HeadOnGpu);
        Assert.Equal(Device.Cpu, plan.Placement.DeviceOf("token_embd.weight"));
        Assert.Equal("placement: blocks 0-9 in RAM, attention+KV of blocks 10-23 on GPU, head in RAM, all experts on GPU; 7.2 GiB of 16.0 GiB",
            plan.Summary());
    }

    [Fact]
    public void NCpuMoeIsHonouredEvenWhenMoreWouldFitAndAnOverBudgetPlanSaysSo()
    {
        var plan = Plan(16, new PlacementRequest { NCpuMoe = 12 });
        Assert.Equal(Enumerable.Range(0, 24).Select(il => il < 12 ? 0 : 32), Enumerable.Range(0, 24).Select(plan.Placement.GpuExpertCount));
        Assert.Empty(plan.Notes);
        Assert.Equal("placement: attention+head+KV on GPU, experts of blocks 0-11 in RAM, the rest on GPU; 7.3 GiB of 16.0 GiB", plan.Summary());

        var over = Plan(4, new PlacementRequest { NCpuMoe = 12 });
        Assert.False(over.FitsBudget);
        Assert.Contains(over.Notes, n => n.StartsWith("the placement asked for needs ") && n.EndsWith("more than the 4.0 GiB budget"));
    }

    [Fact]
    public void OverridesThatSplitABlocksExpertTensorsAreRefused()
    {
        var request = new PlacementRequest { Overrides = TensorOverride.ParseList(@"blk\.3\.ffn_gate_exps=cpu") };
        var e = Assert.Throws<ArgumentException>(() => Plan(16, request));
        Assert.Contains("blk.3.ffn_gate_exps.weight on the CPU", e.Message);
        Assert.Contains("blk.3.ffn_up_exps.weight on the GPU", e.Message);
        Assert.Contains("go to one place", e.Message);
    }

    [Fact]
    public void AnOverrideOfTheEmbeddingIsSaidToBeIgnored()
    {
        var plan = Plan(16, new PlacementRequest { Overrides = TensorOverride.ParseList("token_embd=cuda") });
        Assert.Equal(Device.Cpu, plan.Placement.DeviceOf("token_embd.weight"));
        Assert.Contains(plan.Notes, n => n.StartsWith("token_embd.weight stays in RAM"));
    }

    [Fact]
    public void TheOrderTakesSharesFirstThenBlockThenRank()
    {
        var usage = new ExpertUsage(2, 3);
        usage.Add(0, 2, 6); usage.Add(0, 1, 3); usage.Add(0, 0, 1);   // block 0: 2 > 1 > 0
        usage.Add(1, 0, 5); usage.Add(1, 1, 5);                       // block 1: 0 = 1 > 2
        var order = PlacementPlanner.Order([0, 1], 3, usage).ToArray();
        Assert.Equal([(0, 2), (1, 0), (1, 1), (0, 1), (0, 0), (1, 2)], order);
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], PlacementPlanner.Order([0, 1], 3, null).ToArray());
    }

    // Per block a Zipf-like routing over a shuffled expert order: about 8 of 32 experts cover half the picks (issue 10).
    internal static ExpertUsage Skewed(int seed)
    {
        var rng = new Random(seed);
        var usage = new ExpertUsage(24, 32);
        for (int il = 0; il < 24; il++)
        {
            var order = Enumerable.Range(0, 32).OrderBy(_ => rng.Next()).ToArray();
            for (int rank = 0; rank < 32; rank++) usage.Add(il, order[rank], (long)(100_000 / Math.Pow(rank + 1, 1.1)));
        }
        return usage;
    }
}
