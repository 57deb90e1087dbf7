// What `run -m` says about a path that is no model: a directory, a file cut short, a file that is not GGUF.

namespace Tessera.Tests.Cli;

public class ModelFileErrorTests
{
    [Fact]
    public void ADirectoryIsCalledADirectory()
    {
        var folder = Path.GetDirectoryName(TestModels.TempPath("x"))!;
        var (code, _, err) = CliRunner.Run("run", "-m", folder, "-p", "Hi", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains($"{folder} is a directory, not a model file", err);
    }

    [Theory]
    [InlineData(100_000)]      // inside the vocabulary's metadata
    [InlineData(20_000_000)]   // inside the tensor data
    public void ATruncatedFileIsCalledTruncated(int keep)
    {
        var path = TestModels.TempPath("cut.gguf");
        using (var source = File.OpenRead(TestModels.Tiny))
        using (var cut = File.Create(path))
        {
            var buffer = new byte[keep];
            source.ReadExactly(buffer);
            cut.Write(buffer);
        }
        var (code, _, err) = CliRunner.Run("run", "-m", path, "-p", "Hi", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("the model file ends too early: it is truncated (an interrupted download?) or corrupt", err);
    }

    [Fact]
    public void AFileThatIsNotGgufSaysSo()
    {
        var path = TestModels.TempPath("text.gguf");
        File.WriteAllText(path, "hello, world\n");
        var (code, _, err) = CliRunner.Run("run", "-m", path, "-p", "Hi", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("not a GGUF file: its first four bytes are not \"GGUF\"", err);
    }
}
