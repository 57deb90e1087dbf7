// `tessera make-test-model`: writes a gpt-oss GGUF with random weights and the real tokenizer (SyntheticGptOss).

using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Tessera.Models.GptOss;
using Tessera.Quants;
using Tessera.Synthetic;

namespace Tessera.Cli.Commands;

internal static class MakeTestModelCommand
{
    public static Command Create(TextWriter stdout)
    {
        var preset = new Option<string>("--preset") { Description = $"Shape to start from: {string.Join(", ", GptOssHyperParameters.Presets.Keys)}", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--output", "-o") { Description = "Path of the GGUF file to write", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (same seed, same file)", DefaultValueFactory = _ => 1 };
        var layers = new Option<int?>("--layers") { Description = "Number of layers (block_count)" };
        var embd = new Option<int?>("--embd") { Description = "Hidden size (embedding_length), a multiple of 32" };
        var heads = new Option<int?>("--heads") { Description = "Query heads" };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads" };
        var headDim = new Option<int?>("--head-dim") { Description = "Head dimension (key_length = value_length)" };
        var experts = new Option<int?>("--experts") { Description = "Experts per layer" };
        var expertsUsed = new Option<int?>("--experts-used") { Description = "Experts used per token" };
        var ff = new Option<int?>("--ff") { Description = "Expert feed-forward width, a multiple of 32" };
        var ctx = new Option<int?>("--ctx") { Description = "Training context length written to the file" };
        var matrixType = new Option<string>("--matrix-type") { Description = "Type of attention/embedding/output matrices: q8_0, f16, bf16, f32", DefaultValueFactory = _ => "q8_0" };
        var expertType = new Option<string>("--expert-type") { Description = "Type of expert tensors: mxfp4, q8_0, f16, bf16, f32", DefaultValueFactory = _ => "mxfp4" };
        var routing = new Option<string>("--routing")
        {
            Description = "How the router picks experts: uniform (every expert about equally often) or skewed (a few experts per layer take most picks, as in gpt-oss-20b)",
            DefaultValueFactory = _ => "uniform",
        };

        var command = new Command("make-test-model", "Write a gpt-oss GGUF with random weights and the real o200k_harmony tokenizer")
        {
            preset, output, seed, layers, embd, heads, kvHeads, headDim, experts, expertsUsed, ff, ctx, matrixType, expertType, routing,
        };
        command.SetAction(r =>
        {
            var name = r.GetValue(preset)!;
            if (!GptOssHyperParameters.Presets.TryGetValue(name, out var hp))
                throw new CliException($"unknown preset \"{name}\" (known: {string.Join(", ", GptOssHyperParameters.Presets.Keys)})");
            hp = hp with
            {
                BlockCount = r.GetValue(layers) ?? hp.BlockCount,
                EmbeddingLength = r.GetValue(embd) ?? hp.EmbeddingLength,
                FeedForwardLength = r.GetValue(embd) ?? hp.FeedForwardLength,
                HeadCount = r.GetValue(heads) ?? hp.HeadCount,
                HeadCountKv = r.GetValue(kvHeads) ?? hp.HeadCountKv,
                KeyLength = r.GetValue(headDim) ?? hp.KeyLength,
                ValueLength = r.GetValue(headDim) ?? hp.ValueLength,
                ExpertCount = r.GetValue(experts) ?? hp.ExpertCount,
                ExpertUsedCount = r.GetValue(expertsUsed) ?? hp.ExpertUsedCount,
                ExpertFeedForwardLength = r.GetValue(ff) ?? hp.ExpertFeedForwardLength,
                ContextLength = r.GetValue(ctx) ?? hp.ContextLength,
            };
            var options = new SyntheticGptOssOptions
            {
                HyperParameters = hp,
                Seed = r.GetValue(seed),
                MatrixType = ParseType(r.GetValue(matrixType)!, "--matrix-type"),
                ExpertType = ParseType(r.GetValue(expertType)!, "--expert-type"),
                Routing = ParseRouting(r.GetValue(routing)!),
            };
            var path = r.GetValue(output)!;
            var writer = SyntheticGptOss.CreateWriter(options, out var coverage);
            var total = writer.ComputeFileSize();
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(dir)) throw new CliException($"folder {dir} does not exist");
            var free = new DriveInfo(dir).AvailableFreeSpace;
            if (free < total) throw new CliException($"{path} needs {Format.Bytes(total)} but only {Format.Bytes(free)} is free there");

            var watch = Stopwatch.StartNew();
            var console = Format.Console(stdout);
            if (console.Profile.Capabilities.Interactive)
            {
                console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask(Path.GetFileName(path), maxValue: total);
                        writer.WriteTo(path, new SyncProgress<long>(b => task.Value = b));
                    });
            }
            else
            {
                writer.WriteTo(path);
            }
            stdout.WriteLine($"wrote {path}: {Format.Bytes(total)} ({total:N0} bytes), {hp.BlockCount} layers, {hp.ExpertCount} experts, seed {options.Seed}, in {watch.Elapsed.TotalSeconds:F1} s");
            stdout.WriteLine(RoutingLine(options.Routing, coverage, hp.ExpertCount));
            return 0;
        });
        return command;
    }

    private static GgmlType ParseType(string text, string option) =>
        Enum.TryParse<GgmlType>(text, ignoreCase: true, out var t) && Enum.IsDefined(t)
            ? t
            : throw new CliException($"{option}: unknown type \"{text}\"");

    private static SyntheticRouting ParseRouting(string text) => text.ToLowerInvariant() switch
    {
        "uniform" => SyntheticRouting.Uniform,
        "skewed" => SyntheticRouting.Skewed,
        _ => throw new CliException($"--routing: unknown routing \"{text}\" (uniform or skewed)"),
    };

    // For skewed routing, what the calibration reached, averaged over the layers, beside the real model's figures.
    private static string RoutingLine(SyntheticRouting routing, IReadOnlyList<SyntheticRouterCoverage> coverage, int experts)
    {
        if (routing == SyntheticRouting.Uniform)
            return "routing: uniform (random router biases: every expert of a layer picked about equally often)";
        var hot = coverage[0].Experts;
        var shares = hot.Select((_, j) => coverage.Average(c => c.Shares[j]));
        var layers = coverage.Count == 1 ? "1 layer" : $"{coverage.Count} layers";
        return $"routing: skewed, the hottest {string.Join("/", hot)} of {experts} experts take " +
            $"{string.Join("/", shares.Select(s => $"{100 * s:F1}%"))} of a layer's picks (calibration, mean over {layers}; gpt-oss-20b: about 50/80/90%)";
    }
}
