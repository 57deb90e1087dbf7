// `tessera bench -m FILE [-p 512] [-n 128] [-r 3] [-t N] [-d DEPTH] [-ngl N] [-ncmoe N] [--device D] [--json|--csv|--md]`:
// prompt processing (ppN) and generation (tgN) speed as llama-bench measures and prints it (Inference/Benchmark.cs), so
// the two can be compared line for line. Lists are comma-separated (-t 8,16; -ngl 0,99 gives CPU and GPU rows; -ngl and
// -ncmoe lists give a row set per combination). -ngl keeps llama-bench's meaning: 0 is the CPU, -1 or above the block
// count everything the GPU memory allows (the planner's choice), N the last N blocks; --cpu-moe, -ot and --gpu-memory
// apply to every row, and --device cpu refuses GPU layers. Every row names its backend and GPU (empty on the CPU). JSON
// is a list of objects with llama-bench's field names plus the shorter ones the issue asks for (test, threads, depth,
// gpu, gpu_mem_used) and the placement's one-line summary; it is written by hand, so trimming cannot break it.
// `--turns N` plays a scripted conversation instead (Inference/ConversationBenchmark.cs): per turn the time to first
// token and the prompt tokens evaluated, cached and new (--reasoning-tokens, --answer-tokens size each reply).

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tessera.Backends;
using Tessera.Backends.Cpu;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Placement;

namespace Tessera.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file, or a name tessera list shows" };
        var hf = new HuggingFaceOptions();
        var prompt = new Option<string>("--n-prompt", "-p") { Description = "Prompt sizes to time (ppN), comma-separated; 0 = none", DefaultValueFactory = _ => "512" };
        var generate = new Option<string>("--n-gen", "-n") { Description = "Generation lengths to time (tgN), comma-separated; 0 = none", DefaultValueFactory = _ => "128" };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed repetitions of each test", DefaultValueFactory = _ => 3 };
        var threads = new Option<string?>("--threads", "-t") { Description = "Thread counts, comma-separated (default: physical cores)" };
        var depth = new Option<string>("--n-depth", "-d") { Description = "Tokens already in the KV cache (untimed), comma-separated", DefaultValueFactory = _ => "0" };
        var batch = new Option<int>("--ubatch-size", "-ub") { Description = "Most tokens per forward pass", DefaultValueFactory = _ => 512 };
        var device = DeviceOptions.Device();
        var gpuLayers = new Option<string>("--n-gpu-layers", "-ngl", "--gpu-layers")
        {
            Description = "Blocks on the GPU, comma-separated, as llama-bench counts them: -1 = all that fit (default), 0 = none (the CPU), N = the last N",
            DefaultValueFactory = _ => "-1",
        };
        var cpuMoeBlocks = new Option<string>("--n-cpu-moe", "-ncmoe")
        {
            Description = "Blocks whose expert tensors stay in RAM (the first N), comma-separated",
            DefaultValueFactory = _ => "0",
        };
        var placement = new PlacementOptions();
        var flashAttention = DeviceOptions.FlashAttention();
        var isa = new Option<string?>("--isa") { Description = "CPU kernels: scalar, vector128, avx2, avxvnni or avx512 (default: the best this CPU has)" };
        var json = new Option<bool>("--json") { Description = "Print JSON (a list of results)" };
        var csv = new Option<bool>("--csv") { Description = "Print CSV" };
        var md = new Option<bool>("--md") { Description = "Print a Markdown table (the default)" };
        var turns = new Option<int>("--turns") { Description = "Play a scripted conversation of this many turns instead, reporting each turn's time to first token and prompt tokens evaluated and cached" };
        var reasoningTokens = new Option<int>("--reasoning-tokens") { Description = "With --turns: tokens of reasoning in each reply", DefaultValueFactory = _ => 300 };
        var answerTokens = new Option<int>("--answer-tokens") { Description = "With --turns: tokens of answer in each reply", DefaultValueFactory = _ => 60 };
        var command = new Command("bench", "Measure prompt processing and generation speed like llama-bench")
        {
            model, prompt, generate, repetitions, threads, depth, batch, device, gpuLayers, cpuMoeBlocks, flashAttention, isa, json, csv, md,
            turns, reasoningTokens, answerTokens,
        };
        placement.AddTo(command, lists: true);
        hf.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            if (new[] { r.GetValue(json), r.GetValue(csv), r.GetValue(md) }.Count(x => x) > 1)
                throw new CliException("choose one of --json, --csv and --md");
            var path = ModelReference.RequireFile((await ModelReference.ResolveAsync(r.GetValue(model), hf.Reference(r), hub, stderr, findDefault: false, cancellationToken)).Path);
            foreach (var (option, flag) in new[] { (reasoningTokens, "--reasoning-tokens"), (answerTokens, "--answer-tokens") })
                if (r.GetValue(option) < 0) throw new CliException($"{flag} must not be negative (got {r.GetValue(option)})");
            if (r.GetValue(turns) != 0)
            {
                var conversation = new ConversationBenchmarkOptions
                {
                    Turns = r.GetValue(turns), ReasoningTokens = r.GetValue(reasoningTokens), AnswerTokens = r.GetValue(answerTokens),
                };
                int[] threadList = r.GetValue(threads) is { } tl ? [.. List(tl, "-t").Select(n => ModelOptions.CheckThreads(n, "-t", stderr)!.Value)] : [];
                if (threadList.Length > 1) throw new CliException("--turns takes one thread count (-t N)");
                int[] layerList = List(r.GetValue(gpuLayers)!, PlacementOptions.Typed(r, gpuLayers));
                if (layerList.Length > 1) throw new CliException("--turns takes one -ngl value");
                return Conversation(path, conversation, new TesseraModelOptions
                {
                    Device = DeviceOptions.ParseDevice(r.GetValue(device)),
                    FlashAttention = DeviceOptions.ParseFlashAttention(r.GetValue(flashAttention)),
                    GpuLayers = layerList[0],
                    Threads = threadList.Length == 1 ? threadList[0] : null,
                }, r.GetValue(json), stdout, stderr, cancellationToken);
            }
            var rows = Rows(path, DeviceOptions.ParseDevice(r.GetValue(device)), DeviceOptions.ParseFlashAttention(r.GetValue(flashAttention)),
                List(r.GetValue(gpuLayers)!, PlacementOptions.Typed(r, gpuLayers)), List(r.GetValue(cpuMoeBlocks)!, PlacementOptions.Typed(r, cpuMoeBlocks)),
                (n, m) => placement.Request(r, n, m));
            var options = new BenchmarkOptions
            {
                PromptSizes = List(r.GetValue(prompt)!, "-p"),
                GenerationLengths = List(r.GetValue(generate)!, "-n"),
                Threads = r.GetValue(threads) is { } t ? [.. List(t, PlacementOptions.Typed(r, threads)).Select(n => ModelOptions.CheckThreads(n, PlacementOptions.Typed(r, threads), stderr)!.Value)] : [],
                Depths = List(r.GetValue(depth)!, "-d"),
                Repetitions = r.GetValue(repetitions),
                BatchSize = r.GetValue(batch),
                Isa = r.GetValue(isa) is { } name ? Isa(name) : null,
                GpuMemory = placement.GpuMemoryBytes(r),
            };
            options.Validate();
            var format = r.GetValue(json) ? "json" : r.GetValue(csv) ? "csv" : "md";
            var results = new List<BenchmarkResult>();
            var notices = new HashSet<string>();
            foreach (var (choice, request) in rows)
            {
                Benchmark.Run(path, options with { Device = choice, Placement = request }, result =>
                {
                    if (results.Count == 0 && format != "json") stdout.WriteLine(format == "md" ? MarkdownHeader : CsvHeader);   // not before a failed load
                    results.Add(result);
                    if (format == "md") stdout.WriteLine(MarkdownRow(result));
                    else if (format == "csv") stdout.WriteLine(CsvRow(result));
                    else stderr.WriteLine($"{result.Test}: {result.AverageTs:F2} ± {result.StddevTs:F2} t/s ({result.Backend})");
                    stdout.Flush();
                }, cancellationToken, notice =>
                {
                    if (notices.Add(notice)) stderr.WriteLine(notice);
                });
            }
            if (format == "json") stdout.WriteLine(Json(results));
            return 0;
        });
        return command;
    }

    // --turns: the scripted conversation, one row per turn; the context fits the whole conversation.
    private static int Conversation(string path, ConversationBenchmarkOptions conversation, TesseraModelOptions options, bool json,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        try { conversation.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        int perTurn = conversation.UserTokens + conversation.ReasoningTokens + conversation.AnswerTokens + 32;
        long needed = 200 + (long)conversation.Turns * perTurn;
        int trained;
        using (var file = GgufFile.Open(path)) trained = GptOssHyperParameters.FromGguf(file).ContextLength;
        if (needed > trained)
            throw new CliException($"the conversation needs about {needed} tokens of context, more than the model's {trained}: use fewer --turns or shorter replies");
        int context = (int)Math.Min(trained, Math.Max(4096, (needed + 1023) / 1024 * 1024));
        using var model = TesseraModel.Load(path, options with { ContextSize = context });
        stderr.WriteLine($"{Path.GetFileName(path)} on {model.BackendName}: {conversation.Turns} turns, replies of {conversation.ReasoningTokens} " +
            $"reasoning + {conversation.AnswerTokens} answer tokens; load average {Benchmark.LoadAverage():F2}");
        if (!json)
        {
            stdout.WriteLine("| turn | prompt | cached | evaluated | new | ttft ms | prompt t/s | reply tokens |");
            stdout.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        }
        var turns = ConversationBenchmark.Run(model, conversation, t =>
        {
            if (json) return;
            double rate = t.PromptEvalMs > 0 ? t.EvaluatedTokens * 1000 / t.PromptEvalMs : 0;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Turn} | {t.PromptTokens} | {t.CachedTokens} | {t.EvaluatedTokens} | {t.NewTokens} | {t.TimeToFirstTokenMs:F1} | {rate:F1} | {t.ReplyTokens} |"));
            stdout.Flush();
        }, cancellationToken);
        if (json) stdout.WriteLine(ConversationJson(turns));
        return 0;
    }

    /// <summary>The turns as a JSON array, one object per turn, with ConversationTurn's field names.</summary>
    internal static string ConversationJson(IEnumerable<ConversationTurn> turns)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var t in turns)
            {
                w.WriteStartObject();
                w.WriteNumber("turn", t.Turn);
                w.WriteNumber("prompt_tokens", t.PromptTokens);
                w.WriteNumber("cached_tokens", t.CachedTokens);
                w.WriteNumber("evaluated_tokens", t.EvaluatedTokens);
                w.WriteNumber("new_tokens", t.NewTokens);
                w.WriteNumber("ttft_ms", Math.Round(t.TimeToFirstTokenMs, 3));
                w.WriteNumber("prompt_eval_ms", Math.Round(t.PromptEvalMs, 3));
                w.WriteNumber("reply_tokens", t.ReplyTokens);
                w.WriteNumber("reply_eval_ms", Math.Round(t.ReplyEvalMs, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    // The rows that the -ngl and -ncmoe values ask for, in order and each once, checked as TesseraModel.Load checks them
    // (the library's messages): 0 GPU layers is the CPU whatever --device says, -1 and any count above the block count
    // are the same row (everything that fits), a count in between is that placement.
    private static List<(DeviceChoice Device, PlacementRequest Placement)> Rows(string path, DeviceChoice device, bool flashAttention,
        int[] gpuLayers, int[] cpuMoeBlocks, Func<int, int, PlacementRequest> request)
    {
        int layers;
        using (var file = GgufFile.Open(path)) layers = GptOssHyperParameters.FromGguf(file).BlockCount;
        var rows = new List<(DeviceChoice, PlacementRequest)>();
        foreach (int n in gpuLayers)
            foreach (int m in cpuMoeBlocks)
            {
                var placement = request(n, m) with { GpuLayers = n > layers ? -1 : n };
                var options = new TesseraModelOptions { Device = device, GpuLayers = n, FlashAttention = flashAttention };
                options.Validate();
                var row = n == 0 ? (DeviceChoice.Cpu, new PlacementRequest { GpuLayers = 0 }) : (options.DeviceFor(layers), placement);
                if (!rows.Contains(row)) rows.Add(row);
            }
        return rows;
    }

    // --isa: the same names as TESSERA_CPU_ISA, refused naming the option the user typed.
    private static CpuIsa Isa(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new CliException("--isa must be scalar, vector128, avx2, avxvnni or avx512, not \"\"");
        try { return CpuIsaSupport.FromEnvironment(name); }
        catch (NotSupportedException e) { throw new CliException(e.Message.Replace($"{CpuIsaSupport.EnvironmentVariable}=", "--isa ", StringComparison.Ordinal)); }
    }

    private static int[] List(string text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new CliException($"{option} takes whole numbers separated by commas, not \"{text}\"");
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CliException($"{option} takes whole numbers separated by commas, not \"{text}\"");
        }
    }

    private const string MarkdownHeader =
        "| model | size | params | backend | gpu | threads | test | t/s |\n| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |";

    private static string MarkdownRow(BenchmarkResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Model} | {r.ModelSize / (double)(1L << 30):F2} GiB | {r.ModelParameters / 1e9:F2} B | {r.Backend} | {r.Gpu} | {r.Threads} | {r.Test} | {r.AverageTs:F2} ± {r.StddevTs:F2} |");

    private const string CsvHeader = "model,model_size,model_n_params,backend,gpu,n_threads,n_prompt,n_gen,n_depth,test,avg_ts,stddev_ts,avg_ns,stddev_ns,peak_rss_bytes,load_avg";

    private static string CsvRow(BenchmarkResult r) => string.Create(CultureInfo.InvariantCulture,
        $"\"{r.Model}\",{r.ModelSize},{r.ModelParameters},\"{r.Backend}\",\"{r.Gpu}\",{r.Threads},{r.PromptSize},{r.GenerationLength},{r.Depth},\"{r.Test}\",{r.AverageTs:F4},{r.StddevTs:F4},{r.AverageNs:F0},{r.StddevNs:F0},{r.PeakResidentBytes},{r.LoadAverage:F2}");

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
                w.WriteString("gpu", r.Gpu ?? "");
                w.WriteString("gpu_info", r.Gpu ?? "");
                if (r.GpuMemoryUsedBytes >= 0) w.WriteNumber("gpu_mem_used", r.GpuMemoryUsedBytes);
                else w.WriteNull("gpu_mem_used");
                w.WriteNumber("n_gpu_layers", r.GpuLayers);
                if (r.Placement is { } placement) w.WriteString("placement", placement);
                else w.WriteNull("placement");
                w.WriteNumber("threads", r.Threads);
                w.WriteNumber("n_threads", r.Threads);
                w.WriteNumber("n_ubatch", r.BatchSize);
                w.WriteNumber("n_prompt", r.PromptSize);
                w.WriteNumber("n_gen", r.GenerationLength);
                w.WriteNumber("depth", r.Depth);
                w.WriteNumber("n_depth", r.Depth);
                w.WriteNumber("n_ctx", r.ContextSize);
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
