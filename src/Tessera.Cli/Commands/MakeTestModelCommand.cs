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

        var command = new Command("make-test-model", "Write a gpt-oss GGUF with random weights and the real o200k_harmony tokenizer")
        {
            preset, output, seed, layers, embd, heads, kvHeads, headDim, experts, expertsUsed, ff, ctx, matrixType, expertType,
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
            };
            var path = r.GetValue(output)!;
            var writer = SyntheticGptOss.CreateWriter(options);
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
                        writer.WriteTo(path, new SyncProgress(b => task.Value = b));
                    });
            }
            else
            {
                writer.WriteTo(path);
            }
            stdout.WriteLine($"wrote {path}: {Format.Bytes(total)} ({total:N0} bytes), {hp.BlockCount} layers, {hp.ExpertCount} experts, seed {options.Seed}, in {watch.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static GgmlType ParseType(string text, string option) =>
        Enum.TryParse<GgmlType>(text, ignoreCase: true, out var t) && Enum.IsDefined(t)
            ? t
            : throw new CliException($"{option}: unknown type \"{text}\"");

    /// <summary>Reports on the writer's thread (Progress&lt;T&gt; would post to a thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
