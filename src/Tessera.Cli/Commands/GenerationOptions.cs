// Options shared by the commands that generate a chat reply (run, chat): system message, limits, sampling, reasoning,
// and structured output (--grammar FILE, --json-schema FILE|TEXT, --json), enforced while sampling.

using System.CommandLine;
using Tessera.Chat;
using Tessera.Chat.Harmony;
using Tessera.Constraints;
using Tessera.Inference;

namespace Tessera.Cli.Commands;

internal sealed class GenerationOptions
{
    public Option<string?> System { get; } = new("--system", "-s") { Description = "System message (instructions)" };
    public Option<int?> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Most tokens to generate per reply (-1 or left out: until the context is full)" };
    public Option<float> Temperature { get; } = new("--temp") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 1.0f };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling threshold", DefaultValueFactory = _ => 1.0f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<long?> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same output; -1 or left out: a random one)" };
    public Option<string> Effort { get; } = new("--reasoning-effort") { Description = "low, medium or high", DefaultValueFactory = _ => "medium" };
    public Option<bool> HideReasoning { get; } = new("--hide-reasoning") { Description = "Show one line (\"thought for N tokens\") instead of the reasoning" };
    public Option<FileInfo?> GrammarFile { get; } = new("--grammar") { Description = "GBNF grammar file (llama.cpp syntax) the answer must follow" };
    public Option<string?> JsonSchema { get; } = new("--json-schema") { Description = "JSON schema (a file, or the schema itself) the answer must follow" };
    public Option<bool> Json { get; } = new("--json") { Description = "Answer with one JSON object" };
    public Option<int?> MaxReasoningTokens { get; } = new("--max-reasoning-tokens") { Description = "Most tokens of reasoning before the answer is forced to begin (0 = none)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { System, MaxTokens, Temperature, TopP, TopK, Seed, Effort, HideReasoning, GrammarFile, JsonSchema, Json, MaxReasoningTokens })
            command.Options.Add(option);
    }

    /// <summary>The request options the command line asks for; throws for impossible values.</summary>
    public ChatCompletionOptions Build(ParseResult r)
    {
        var options = new ChatCompletionOptions
        {
            MaxTokens = Tokens(r.GetValue(MaxTokens)),
            ReasoningEffort = ParseEffort(r.GetValue(Effort)!, "--reasoning-effort"),
            Sampling = new SamplingOptions { Temperature = r.GetValue(Temperature), TopP = r.GetValue(TopP), TopK = r.GetValue(TopK), Seed = SeedValue(r.GetValue(Seed)) },
            MaxReasoningTokens = r.GetValue(MaxReasoningTokens),
        };
        CheckSampling(r, options.Sampling, Temperature, TopP, TopK, null);
        var grammar = r.GetValue(GrammarFile);
        var schema = r.GetValue(JsonSchema);
        var json = r.GetValue(Json);
        if ((grammar is not null ? 1 : 0) + (schema is not null ? 1 : 0) + (json ? 1 : 0) > 1)
            throw new CliException("give only one of --grammar, --json-schema and --json");
        try
        {
            if (grammar is not null) options = options with { Grammar = Grammar.Parse(File.ReadAllText(grammar.FullName)) };
            if (schema is not null)
            {
                var text = schema.TrimStart().StartsWith('{') ? schema : File.ReadAllText(schema);
                options = options with { ResponseFormat = ChatResponseFormat.ForJsonSchema("response", text) };
            }
            if (json) options = options with { ResponseFormat = new ChatResponseFormat("json_object") };
        }
        catch (GrammarException e) { throw new CliException($"{(grammar is not null ? $"--grammar {grammar.Name}" : "--json-schema")}: {e.Message}"); }
        catch (System.Text.Json.JsonException e) { throw new CliException($"--json-schema: not valid JSON: {e.Message}"); }
        try { options.Validate(); }
        catch (GrammarException e) { throw new CliException($"--json-schema: {e.Message}"); }
        return options;
    }

    /// <summary>Refuses sampling values that cannot work, naming the option as typed (the library would name its field).</summary>
    public static void CheckSampling(ParseResult r, SamplingOptions s, Option temperature, Option topP, Option topK, Option? minP)
    {
        if (!(s.Temperature >= 0 && float.IsFinite(s.Temperature)))
            throw new CliException($"{PlacementOptions.Typed(r, temperature)} must be a number from 0 up (0 = greedy), not {s.Temperature}");
        if (!(s.TopP > 0 && s.TopP <= 1))
            throw new CliException($"{PlacementOptions.Typed(r, topP)} must be above 0 and at most 1 (1 = off), not {s.TopP}");
        if (s.TopK < 0)
            throw new CliException($"{PlacementOptions.Typed(r, topK)} must be 0 (off) or a count of tokens, not {s.TopK}");
        if (minP is not null && !(s.MinP >= 0 && s.MinP <= 1))
            throw new CliException($"{PlacementOptions.Typed(r, minP)} must be from 0 (off) to 1, not {s.MinP}");
    }

    // llama.cpp's -n: -1 is "until the context is full", as leaving it out.
    internal static int? Tokens(int? n) => n switch
    {
        -1 or null => null,
        < -1 => throw new CliException($"-n must be -1 (until the context is full) or a count of tokens, not {n}"),
        _ => n,
    };

    // llama.cpp's --seed: -1 is a random seed, as leaving it out.
    internal static ulong? SeedValue(long? seed) => seed switch
    {
        -1 or null => null,
        < -1 => throw new CliException($"--seed must be -1 (a random seed) or a number from 0 up, not {seed}"),
        _ => (ulong)seed.Value,
    };

    public static ReasoningEffort ParseEffort(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "low" => ReasoningEffort.Low,
        "medium" => ReasoningEffort.Medium,
        "high" => ReasoningEffort.High,
        _ => throw new CliException($"{what} must be low, medium or high, not \"{text}\""),
    };
}
