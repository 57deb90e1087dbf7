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
            Assert.True(File.Exists(Path.ChangeExtension(ptx, ".cu")), $"{Path.GetFileName(ptx)} has no source");
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
}
