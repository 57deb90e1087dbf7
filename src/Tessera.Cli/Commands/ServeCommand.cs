// `tessera serve -m FILE`: loads the model and serves it with OpenAI's API (TesseraServer) until Ctrl+C, with
// llama-server's flag names (--host, --port, --api-key, --alias). Prints the URL once listening, one line per request.

using System.CommandLine;
using Tessera.Server;

namespace Tessera.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelOptions();
        var defaults = new TesseraServerOptions();
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => defaults.Port };
        var apiKey = new Option<string?>("--api-key") { Description = "Require \"Authorization: Bearer KEY\" on every endpoint but /health" };
        var queueLimit = new Option<int>("--queue-limit") { Description = "Requests that may wait for the model; more get 429", DefaultValueFactory = _ => defaults.QueueLimit };
        var alias = new Option<string?>("--alias", "-a") { Description = "Model id reported to clients (default: the file name)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not log requests" };
        var command = new Command("serve", "Serve the model with an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models)")
        {
            host, port, apiKey, queueLimit, alias, quiet,
        };
        model.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            var options = new TesseraServerOptions
            {
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                ApiKey = r.GetValue(apiKey),
                QueueLimit = r.GetValue(queueLimit),
                ModelAlias = r.GetValue(alias),
                Log = r.GetValue(quiet) ? null : stderr,
            };
            options.Validate();   // before the load, which may take a while
            using var m = model.Load(r, stderr);
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
}
