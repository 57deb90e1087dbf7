// Choosing the kernels' instruction-set strategy: names are case-insensitive, empty means the best, unknown or
// unsupported names fail with a message that lists what this machine supports.

using Tessera.Backends.Cpu;

namespace Tessera.Tests.Cpu;

public class CpuIsaTests
{
    [Fact]
    public void NamesParseAndTheBestIsSupported()
    {
        Assert.Equal(CpuIsaSupport.Best, CpuIsaSupport.FromEnvironment(null));
        Assert.Equal(CpuIsaSupport.Best, CpuIsaSupport.FromEnvironment(" "));
        Assert.Equal(CpuIsa.Scalar, CpuIsaSupport.FromEnvironment("SCALAR"));
        Assert.True(CpuIsaSupport.IsSupported(CpuIsaSupport.Best));
        Assert.Contains(CpuIsa.Scalar, CpuIsaSupport.Supported);
        foreach (var isa in CpuIsaSupport.Supported) Assert.Equal(isa, CpuIsaSupport.FromEnvironment(isa.ToString().ToLowerInvariant()));
    }

    [Fact]
    public void UnknownAndUnsupportedNamesFailClearly()
    {
        var e = Assert.Throws<NotSupportedException>(() => CpuIsaSupport.FromEnvironment("sse9"));
        Assert.Contains("scalar, vector128, avx2, avxvnni, avx512", e.Message);
        Assert.Throws<NotSupportedException>(() => CpuIsaSupport.FromEnvironment("7"));
        foreach (var isa in Enum.GetValues<CpuIsa>().Where(i => !CpuIsaSupport.IsSupported(i)))
            Assert.Contains("does not support", Assert.Throws<NotSupportedException>(() => CpuIsaSupport.FromEnvironment(isa.ToString())).Message);
    }
}
