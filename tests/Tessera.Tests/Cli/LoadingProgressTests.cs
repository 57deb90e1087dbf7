// Loading as a user sees it: on a terminal (a pseudo-terminal made by util-linux's `script`) a progress bar for the
// weights that goes from 0% to 100% and is cleared; redirected, nothing of it (no "loading", no escape codes).

using System.Diagnostics;

namespace Tessera.Tests.Cli;

public class LoadingProgressTests
{
    [Fact(Timeout = 120_000)]
    public async Task OnATerminalLoadingShowsABarToAHundredPercent()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script")) Assert.Skip("needs util-linux's script to make a terminal");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var cli = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-qec", $"'{dotnet}' '{cli}' run -m '{TestModels.Tiny}' -p Hi -n 1 --seed 1 --device cpu", "/dev/null" })
            start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["HOME"] = TestModels.TempPath("home");
        using var child = Process.Start(start)!;
        child.StandardInput.Close();
        var output = await child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(child.ExitCode == 0, output);
        Assert.Contains("loading tiny-seed1.gguf", output);
        Assert.Contains("100%", output);
        Assert.Contains("\u001b[", output);
        // The bar is gone before the device line: it is not left on the screen above the answer.
        Assert.True(output.LastIndexOf("loading", StringComparison.Ordinal) < output.IndexOf("device: cpu", StringComparison.Ordinal));
    }

    [Fact]
    public void RedirectedLoadingDrawsNothing()
    {
        var (code, output, err) = CliRunner.Run("run", "-m", TestModels.Tiny, "-p", "Hi", "-n", "1", "--seed", "1", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("loading", err);
        Assert.DoesNotContain("\u001b", output + err);
    }
}
