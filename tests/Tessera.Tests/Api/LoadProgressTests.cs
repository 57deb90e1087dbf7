// TesseraModelOptions.LoadProgress: the share of the weights loaded, reported after each tensor, rising to 1.

namespace Tessera.Tests.Api;

public class LoadProgressTests
{
    [Fact]
    public void LoadingReportsTheShareOfTheWeightsAfterEachTensor()
    {
        var shares = new List<double>();
        using var model = TesseraModel.Load(TestModels.Tiny, new TesseraModelOptions
        {
            Device = Tessera.Backends.DeviceChoice.Cpu,
            ContextSize = 64,
            LoadProgress = new Collect(shares),
        });
        using var file = Tessera.Gguf.GgufFile.Open(TestModels.Tiny);
        Assert.Equal(file.Tensors.Count, shares.Count);   // every tensor of the tiny file is a gpt-oss weight
        Assert.True(shares.Zip(shares.Skip(1)).All(p => p.First < p.Second), "the share rises with every tensor");
        Assert.True(shares[0] > 0);
        Assert.Equal(1.0, shares[^1], 12);
    }

    private sealed class Collect(List<double> into) : IProgress<double>
    {
        public void Report(double value) => into.Add(value);
    }
}
