// `tessera serve [-m FILE|NAME | -hf REPO[:QUANT]]`: loads the model (without one, gpt-oss-20b found or downloaded, as
// chat does) and serves it with OpenAI's API (TesseraServer) until Ctrl+C, with llama-server's flag names (--host,
// --port, --api-key, --alias; -n, --temp, --top-p, --top-k, --min-p, --seed as the defaults of requests that leave those
// fields out). Prints the URL once listening, one line per request.

using System.CommandLine;
using Tessera.Hub;
using Tessera.Inference;
using Tessera.Server;

namespace Tessera.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var model = ModelOptions.FindingGptOss20b(hub);
        var defaults = new TesseraServerOptions();
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => defaults.Port };
        var apiKey = new Option<string?>("--api-key") { Description = "Require \"Authorization: Bearer KEY\" on every endpoint but /health" };
        var queueLimit = new Option<int>("--queue-limit") { Description = "Requests that may wait for the model; more get 429", DefaultValueFactory = _ => defaults.QueueLimit };
        var alias = new Option<string?>("--alias", "-a") { Description = "Model id reported to clients (default: the file name)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not log requests" };
        var maxTokens = new Option<int?>("--n-predict", "-n", "--max-tokens") { Description = "Default max_tokens of requests that give none (-1 or left out: until the context is full)" };
        var temperature = new Option<float?>("--temp") { Description = "Default temperature of requests that give none (1.0 unless set)" };
        var topP = new Option<float?>("--top-p") { Description = "Default top_p of requests that give none (1.0 = off)" };
        var topK = new Option<int?>("--top-k") { Description = "Default top_k of requests that give none (0 = off)" };
        var minP = new Option<float?>("--min-p") { Description = "Default min_p of requests that give none (0 = off)" };
        var seed = new Option<long?>("--seed") { Description = "Default seed of requests that give none (-1 or left out: a random one per request)" };
        var effort = new Option<string?>("--reasoning-effort") { Description = "Default reasoning_effort of chat requests that give none: low, medium or high" };
        var maxReasoning = new Option<int?>("--max-reasoning-tokens") { Description = "Default max_reasoning_tokens of chat requests that give none: most tokens of reasoning before the answer is forced to begin (0 = none)" };
        var command = new Command("serve", "Serve the model with an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models); without -m: gpt-oss-20b, found on this machine or downloaded")
        {
            host, port, apiKey, queueLimit, alias, quiet, maxTokens, temperature, topP, topK, minP, seed, effort, maxReasoning,
        };
        model.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            var sampling = new SamplingOptions();
            var requestDefaults = new GenerationDefaults
            {
                MaxTokens = GenerationOptions.Tokens(r.GetValue(maxTokens)),
                Sampling = sampling with
                {
                    Temperature = r.GetValue(temperature) ?? sampling.Temperature,
                    TopP = r.GetValue(topP) ?? sampling.TopP,
                    TopK = r.GetValue(topK) ?? sampling.TopK,
                    MinP = r.GetValue(minP) ?? sampling.MinP,
                    Seed = GenerationOptions.SeedValue(r.GetValue(seed)),
                },
                ReasoningEffort = r.GetValue(effort) is { } e ? GenerationOptions.ParseEffort(e, "--reasoning-effort") : ReasoningEffortDefault,
                MaxReasoningTokens = r.GetValue(maxReasoning) is { } budget && budget < 0
                    ? throw new CliException($"--max-reasoning-tokens must not be negative (got {budget})") : r.GetValue(maxReasoning),
            };
            GenerationOptions.CheckSampling(r, requestDefaults.Sampling, temperature, topP, topK, minP);
            var options = new TesseraServerOptions
            {
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                ApiKey = r.GetValue(apiKey),
                QueueLimit = r.GetValue(queueLimit),
                ModelAlias = r.GetValue(alias),
                Log = r.GetValue(quiet) ? null : stderr,
                Defaults = requestDefaults,
            };
            options.Validate();   // before the load, which may take a while
            using var m = await model.LoadAsync(r, stderr, cancellationToken);
            ModelOptions.WriteDevice(m, stderr);
            await using var server = new TesseraServer(m, options);
            await server.StartAsync(cancellationToken);
            var root = server.BaseAddress.ToString().TrimEnd('/');
            stdout.WriteLine($"serving {server.ModelId} (context {m.ContextSize} tokens, loaded in {m.LoadMs / 1000:F1} s)");
            stdout.WriteLine($"listening on {root}  (OpenAI base URL {root}/v1{(options.ApiKey is null ? "" : ", API key required")}); Ctrl+C to stop");
            stdout.Flush();
            try { await Task.Delay(Timeout.Infinite, cancellationToken); }
            catch (OperationCanceledException) { }
            stdout.WriteLine("stopping");
            await server.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static Chat.Harmony.ReasoningEffort ReasoningEffortDefault => new GenerationDefaults().ReasoningEffort;
}
