// The PTX shipped in the library is made from the CUDA sources beside it: every Kernels/*.cu has a .ptx whose first line
// is the SHA-256 that tools/build-ptx.sh stamps (every *.cuh of the folder in name order, then the .cu), and every PTX is
// embedded in Tessera.dll. A source edited without running the script fails here, in CI, without a GPU.

using System.Security.Cryptography;
using Tessera.Backends.Cuda;

namespace Tessera.Tests.Backends;

public class CudaKernelSourceTests
{
    private static string KernelFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx"))) dir = dir.Parent;
        if (dir is null) Assert.Skip("the repository (Tessera.slnx) is not above the test binaries (a published test run)");
        return Path.Combine(dir.FullName, "src", "Tessera", "Backends", "Cuda", "Kernels");
    }

    private static string SourceHash(string folder, string cu)
    {
        using var sha = SHA256.Create();
        using var all = new MemoryStream();
        foreach (var header in Directory.GetFiles(folder, "*.cuh").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
            all.Write(File.ReadAllBytes(header));
        all.Write(File.ReadAllBytes(cu));
        return Convert.ToHexStringLower(SHA256.HashData(all.ToArray()));
    }

    [Fact]
    public void EveryKernelSourceHasPtxMadeFromIt()
    {
        var folder = KernelFolder();
        var sources = Directory.GetFiles(folder, "*.cu");
        Assert.NotEmpty(sources);
        foreach (var cu in sources)
        {
            var ptx = Path.ChangeExtension(cu, ".ptx");
            Assert.True(File.Exists(ptx), $"{Path.GetFileName(ptx)} is missing: run tools/build-ptx.sh");
            var first = File.ReadLines(ptx).First();
            var expected = $"// tessera-source-sha256: {SourceHash(folder, cu)}";
            Assert.True(first == expected, $"{Path.GetFileName(ptx)} was not made from the current {Path.GetFileName(cu)} (or its headers): run tools/build-ptx.sh");
        }
        foreach (var ptx in Directory.GetFiles(folder, "*.ptx"))
            Assert.True(File.Exists(SourceOf(ptx)), $"{Path.GetFileName(ptx)} has no source");
        // The Hopper builds with programmatic dependent launch (NAME.pdl.ptx) are made from the same sources.
        foreach (var ptx in Directory.GetFiles(folder, "*.pdl.ptx"))
        {
            var first = File.ReadLines(ptx).First();
            Assert.True(first == $"// tessera-source-sha256: {SourceHash(folder, SourceOf(ptx))}",
                $"{Path.GetFileName(ptx)} was not made from the current {Path.GetFileName(SourceOf(ptx))} (or its headers): run tools/build-ptx.sh");
            Assert.Contains(".target sm_90", File.ReadAllText(ptx));
        }
    }

    // matvec.ptx and matvec.pdl.ptx both come from matvec.cu.
    private static string SourceOf(string ptx)
    {
        var name = Path.GetFileNameWithoutExtension(ptx);
        if (name.EndsWith(".pdl", StringComparison.Ordinal)) name = name[..^4];
        return Path.Combine(Path.GetDirectoryName(ptx)!, name + ".cu");
    }

    [Fact]
    public void EveryKernelOfTheProgrammaticModulesWaitsForTheKernelBefore()
    {
        // Every kernel of a module built for programmatic dependent launch may start before the kernel before it has
        // finished, so each must wait (griddepcontrol.wait) before it reads what that kernel wrote: count the waits of
        // each entry function in the PTX.
        var folder = KernelFolder();
        var pdl = Directory.GetFiles(folder, "*.pdl.ptx");
        Assert.NotEmpty(pdl);
        foreach (var ptx in pdl)
        {
            var text = File.ReadAllText(ptx);
            var entries = text.Split(".entry ")[1..];
            Assert.NotEmpty(entries);
            foreach (var entry in entries)
            {
                var name = entry[..entry.IndexOf('(')];
                Assert.True(entry.Contains("griddepcontrol.wait;"), $"{name} in {Path.GetFileName(ptx)} never waits for the kernel before it");
            }
        }
    }

    [Fact]
    public void EveryPtxIsEmbeddedInTheLibrary()
    {
        var folder = KernelFolder();
        var embedded = CudaContext.EmbeddedModules().ToHashSet();
        foreach (var ptx in Directory.GetFiles(folder, "*.ptx"))
        {
            var name = Path.GetFileNameWithoutExtension(ptx);
            Assert.Contains(name, embedded);
            Assert.Equal(File.ReadAllBytes(ptx), CudaContext.EmbeddedPtx(name)![..^1]);
        }
    }

    [Fact]
    public void WithoutAGpuTheProbeSaysWhyInOneLine()
    {
        if (CudaDeviceInfo.Probe(out var reason) is { } gpu)
            Assert.Skip($"this machine has a GPU ({gpu.Description})");
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.DoesNotContain('\n', reason);
        Assert.StartsWith("no ", reason);
        var e = Assert.Throws<CudaUnavailableException>(() => new CudaBackend());
        Assert.Equal(reason, e.Message);
    }

    // TESSERA_CUDA_PTX_DIR: a module found in the folder replaces the embedded one (NUL-terminated for the driver); a
    // module not there, or no folder, leaves the embedded one.
    [Fact]
    public void APtxFolderReplacesOnlyTheModulesItHolds()
    {
        var dir = Directory.CreateTempSubdirectory("tessera-ptx-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "matvec.pdl.ptx"), ".version 7.8");
            var ptx = CudaContext.OverridePtx("matvec.pdl", dir.FullName);
            Assert.NotNull(ptx);
            Assert.Equal(".version 7.8\0"u8.ToArray(), ptx);
            Assert.Null(CudaContext.OverridePtx("attention.pdl", dir.FullName));
            Assert.Null(CudaContext.OverridePtx("matvec.pdl", null));
            Assert.Null(CudaContext.OverridePtx("matvec.pdl", ""));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
