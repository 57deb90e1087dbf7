using LLama;
using LLama.Common;
using System.Text;

namespace Tessera.Tests.Oracle;

public class LlamaProbe
{
    [Fact]
    public void Loads()
    {
        var p = new ModelParams("/work/main/.tmp/tiny.gguf") { ContextSize = 256, GpuLayerCount = 0 };
        using var w = LLamaWeights.LoadFromFile(p);
        var toks = w.Tokenize("Hello world <|start|>", false, true, Encoding.UTF8);
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(",", toks.Select(t => (int)t)));
        Assert.Equal(201088, w.Vocab.Count);
    }
}
