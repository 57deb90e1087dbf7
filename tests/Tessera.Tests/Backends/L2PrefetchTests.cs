// The L2 prefetch plan of the matrix-vector kernels (CudaKernels.Products.cs, matvec.cu's MvPf) as the host writes it:
// six (pointer, bytes) pairs, the expert ids, their count, the number of experts and the mode, in the order of the
// kernels' last sixteen parameters, which the PTX is checked for. Runs without a GPU; the kernels themselves run in
// CudaModelTests.L2PrefetchLeavesTheLogitsAsTheyAre.

using Tessera.Backends.Cuda;

namespace Tessera.Tests.Backends;

public class L2PrefetchTests
{
    private static ulong[] Args(in L2Prefetch plan, int mode)
    {
        var args = new KernelArg[16];
        plan.WriteArgs(args, mode);
        return [.. args.Select(a => a.Bits)];
    }

    [Fact]
    public void RangesGoOutInOrderThenIdsCountExpertsAndMode()
    {
        var plan = new L2Prefetch { Ids = 0xABC0, Count = 4, Experts = 32 };
        Assert.True(plan.Add(0x1000, 300));
        Assert.True(plan.Add(0x9000, 17));
        Assert.Equal(2, plan.Ranges);
        Assert.Equal([0x1000UL, 300, 0x9000, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0xABC0, 4, 32, 2], Args(plan, 2));
        Assert.Equal([0UL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xABC0, 4, 32, 0], Args(plan, 0));
    }

    [Fact]
    public void EmptyRangesAreRefusedAndSixAreTheMost()
    {
        var plan = new L2Prefetch();
        Assert.False(plan.Add(0, 100));
        Assert.False(plan.Add(0x100, 0));
        Assert.Equal(0L, (long)Args(plan, 1)[15]);   // nothing to fetch: the kernel is told mode 0
        for (int i = 0; i < L2Prefetch.MaxRanges; i++) Assert.True(plan.Add(0x1000 * (ulong)(i + 1), 64));
        Assert.False(plan.Add(0x10000, 64));
        Assert.Equal(L2Prefetch.MaxRanges, plan.Ranges);
        var args = Args(plan, 1);
        Assert.Equal(0x6000UL, args[10]);
        Assert.Equal(1UL, args[15]);
    }

    [Fact]
    public void EveryMatrixVectorKernelEndsWithThePlansSixteenParameters()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx"))) dir = dir.Parent;
        if (dir is null) Assert.Skip("the repository (Tessera.slnx) is not above the test binaries (a published test run)");
        string[] expected = [.. Enumerable.Repeat("u64", 13), "u32", "u32", "u32"];
        int kernels = 0;
        foreach (var file in new[] { "matvec.ptx", "matvec.pdl.ptx" })
        {
            var text = File.ReadAllText(Path.Combine(dir.FullName, "src", "Tessera", "Backends", "Cuda", "Kernels", file));
            foreach (var entry in text.Split(".entry ")[1..])
            {
                var name = entry[..entry.IndexOf('(')];
                var parameters = entry[(entry.IndexOf('(') + 1)..entry.IndexOf(')')]
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => p.Split(' ')[1].TrimStart('.'))
                    .ToArray();
                Assert.True(parameters.Length > 16, $"{name} has {parameters.Length} parameters");
                Assert.Equal(expected, parameters[^16..]);
                kernels++;
            }
        }
        Assert.Equal(2 * 5 * 6, kernels);   // five kernels of six types, in both builds
    }
}
