// `tessera bench -m FILE [-p 512] [-n 128] [-r 3] [-t N] [-d DEPTH] [--json|--csv|--md]`: prompt processing (ppN) and
// generation (tgN) speed as llama-bench measures and prints it (Inference/Benchmark.cs), so the two can be compared line
// for line. Lists are comma-separated (-t 8,16). JSON is a list of objects with llama-bench's field names plus the
// shorter ones the issue asks for (test, threads, depth); it is written by hand, so trimming cannot break it.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tessera.Backends.Cpu;
using Tessera.Inference;

namespace Tessera.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file", Required = true };
        var prompt = new Option<string>("--n-prompt", "-p") { Description = "Prompt sizes to time (ppN), comma-separated; 0 = none", DefaultValueFactory = _ => "512" };
        var generate = new Option<string>("--n-gen", "-n") { Description = "Generation lengths to time (tgN), comma-separated; 0 = none", DefaultValueFactory = _ => "128" };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed repetitions of each test", DefaultValueFactory = _ => 3 };
        var threads = new Option<string?>("--threads", "-t") { Description = "Thread counts, comma-separated (default: physical cores)" };
        var depth = new Option<string>("--n-depth", "-d") { Description = "Tokens already in the KV cache (untimed), comma-separated", DefaultValueFactory = _ => "0" };
        var batch = new Option<int>("--ubatch-size", "-ub") { Description = "Most tokens per forward pass", DefaultValueFactory = _ => 512 };
        var isa = new Option<string?>("--isa") { Description = "CPU kernels: scalar, vector128, avx2, avxvnni or avx512 (default: the best this CPU has)" };
        var json = new Option<bool>("--json") { Description = "Print JSON (a list of results)" };
        var csv = new Option<bool>("--csv") { Description = "Print CSV" };
        var md = new Option<bool>("--md") { Description = "Print a Markdown table (the default)" };
        var command = new Command("bench", "Measure prompt processing and generation speed like llama-bench")
        {
            model, prompt, generate, repetitions, threads, depth, batch, isa, json, csv, md,
        };
        command.SetAction((r, cancellationToken) =>
        {
            var path = r.GetValue(model)!;
            if (!File.Exists(path)) throw new CliException($"file not found: {path}");
            if (new[] { r.GetValue(json), r.GetValue(csv), r.GetValue(md) }.Count(x => x) > 1)
                throw new CliException("choose one of --json, --csv and --md");
            var options = new BenchmarkOptions
            {
                PromptSizes = List(r.GetValue(prompt)!, "-p"),
                GenerationLengths = List(r.GetValue(generate)!, "-n"),
                Threads = r.GetValue(threads) is { } t ? List(t, "-t") : [],
                Depths = List(r.GetValue(depth)!, "-d"),
                Repetitions = r.GetValue(repetitions),
                BatchSize = r.GetValue(batch),
                Isa = r.GetValue(isa) is { } name ? CpuIsaSupport.FromEnvironment(name) : null,
            };
            options.Validate();
            var format = r.GetValue(json) ? "json" : r.GetValue(csv) ? "csv" : "md";
            if (format == "md") stdout.WriteLine(MarkdownHeader);
            if (format == "csv") stdout.WriteLine(CsvHeader);
            var results = Benchmark.Run(path, options, result =>
            {
                if (format == "md") stdout.WriteLine(MarkdownRow(result));
                else if (format == "csv") stdout.WriteLine(CsvRow(result));
                else stderr.WriteLine($"{result.Test}: {result.AverageTs:F2} ± {result.StddevTs:F2} t/s");
                stdout.Flush();
            }, cancellationToken);
            if (format == "json") stdout.WriteLine(Json(results));
            return Task.FromResult(0);
        });
        return command;
    }

    private static int[] List(string text, string option)
    {
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new CliException($"{option} takes whole numbers separated by commas, not \"{text}\"");
        }
    }

    private const string MarkdownHeader =
        "| model | size | params | backend | threads | test | t/s |\n| --- | ---: | ---: | --- | ---: | ---: | ---: |";

    private static string MarkdownRow(BenchmarkResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Model} | {r.ModelSize / (double)(1L << 30):F2} GiB | {r.ModelParameters / 1e9:F2} B | {r.Backend} | {r.Threads} | {r.Test} | {r.AverageTs:F2} ± {r.StddevTs:F2} |");

    private const string CsvHeader = "model,model_size,model_n_params,backend,n_threads,n_prompt,n_gen,n_depth,test,avg_ts,stddev_ts,avg_ns,stddev_ns,peak_rss_bytes,load_avg";

    private static string CsvRow(BenchmarkResult r) => string.Create(CultureInfo.InvariantCulture,
        $"\"{r.Model}\",{r.ModelSize},{r.ModelParameters},\"{r.Backend}\",{r.Threads},{r.PromptSize},{r.GenerationLength},{r.Depth},\"{r.Test}\",{r.AverageTs:F4},{r.StddevTs:F4},{r.AverageNs:F0},{r.StddevNs:F0},{r.PeakResidentBytes},{r.LoadAverage:F2}");

    /// <summary>The results as a JSON array, one object per test.</summary>
    internal static string Json(IEnumerable<BenchmarkResult> results)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("test", r.Test);
                w.WriteString("model", r.Model);
                w.WriteString("model_filename", r.ModelFile);
                w.WriteString("model_type", r.Model);
                w.WriteNumber("model_size", r.ModelSize);
                w.WriteNumber("model_n_params", r.ModelParameters);
                w.WriteString("backends", r.Backend);
                w.WriteNumber("threads", r.Threads);
                w.WriteNumber("n_threads", r.Threads);
                w.WriteNumber("n_ubatch", r.BatchSize);
                w.WriteNumber("n_prompt", r.PromptSize);
                w.WriteNumber("n_gen", r.GenerationLength);
                w.WriteNumber("depth", r.Depth);
                w.WriteNumber("n_depth", r.Depth);
                w.WriteNumber("avg_ns", Math.Round(r.AverageNs));
                w.WriteNumber("stddev_ns", Math.Round(r.StddevNs));
                w.WriteNumber("avg_ts", r.AverageTs);
                w.WriteNumber("stddev_ts", r.StddevTs);
                w.WriteStartArray("samples_ns");
                foreach (var s in r.SamplesNs) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("samples_ts");
                foreach (var s in r.SamplesTs) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteNumber("peak_rss_bytes", r.PeakResidentBytes);
                w.WriteNumber("load_avg", r.LoadAverage);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
