// The hybrid backend's choice between computing a batch's experts in RAM on the CPU and staging them to the GPU: small
// batches go to the CPU untried; each larger size class tries both ways, then keeps the one that cost less.

using Tessera.Backends.Hybrid;

namespace Tessera.Tests.Backends;

public class StagingChooserTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public void DecodeSizedBatchesGoToTheCpuUntimed(int tokens) => Assert.Equal((false, false), new StagingChooser().Choose(tokens));

    [Fact]
    public void ASizeClassTriesBothWaysThenKeepsTheCheaper()
    {
        var chooser = new StagingChooser(minTokens: 8, samples: 2);
        var tried = new List<bool>();
        for (int i = 0; i < 4; i++)
        {
            var (stage, timed) = chooser.Choose(512);
            Assert.True(timed);
            tried.Add(stage);
            chooser.Record(512, stage, stage ? 0.4e-3 : 1.2e-3);
        }
        Assert.Equal(2, tried.Count(x => x));
        Assert.Equal((true, false), chooser.Choose(700));    // the same class, 512-1023 tokens
        Assert.Equal((true, false), chooser.Choose(1023));
        Assert.True(chooser.Choose(300).Timed);              // 256-511: not tried yet
        Assert.Contains("512-1023 tokens: staged 0.40 ms, CPU 1.20 ms a RAM expert → staged", chooser.Describe());
    }

    [Fact]
    public void WhereTheCpuIsCheaperItIsKept()
    {
        var chooser = new StagingChooser(minTokens: 8, samples: 2);
        for (int i = 0; i < 4; i++)
        {
            var (stage, _) = chooser.Choose(16);
            chooser.Record(16, stage, stage ? 5e-3 : 1e-3);
        }
        Assert.Equal((false, false), chooser.Choose(20));
        // Another size class has not been tried: it starts trying.
        Assert.True(chooser.Choose(64).Timed);
    }
}
