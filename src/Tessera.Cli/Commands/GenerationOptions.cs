// Options shared by the commands that generate a chat reply (run, chat): system message, limits, sampling, reasoning.

using System.CommandLine;
using Tessera.Chat.Harmony;
using Tessera.Inference;

namespace Tessera.Cli.Commands;

internal sealed class GenerationOptions
{
    public Option<string?> System { get; } = new("--system", "-s") { Description = "System message (instructions)" };
    public Option<int?> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Most tokens to generate per reply (default: until the context is full)" };
    public Option<float> Temperature { get; } = new("--temp") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 1.0f };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling threshold", DefaultValueFactory = _ => 1.0f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same output)" };
    public Option<string> Effort { get; } = new("--reasoning-effort") { Description = "low, medium or high", DefaultValueFactory = _ => "medium" };
    public Option<bool> HideReasoning { get; } = new("--hide-reasoning") { Description = "Show one line (\"thought for N tokens\") instead of the reasoning" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { System, MaxTokens, Temperature, TopP, TopK, Seed, Effort, HideReasoning })
            command.Options.Add(option);
    }

    /// <summary>The request options the command line asks for; throws for impossible values.</summary>
    public ChatCompletionOptions Build(ParseResult r)
    {
        var options = new ChatCompletionOptions
        {
            MaxTokens = r.GetValue(MaxTokens),
            ReasoningEffort = ParseEffort(r.GetValue(Effort)!, "--reasoning-effort"),
            Sampling = new SamplingOptions { Temperature = r.GetValue(Temperature), TopP = r.GetValue(TopP), TopK = r.GetValue(TopK), Seed = r.GetValue(Seed) },
        };
        options.Validate();
        return options;
    }

    public static ReasoningEffort ParseEffort(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "low" => ReasoningEffort.Low,
        "medium" => ReasoningEffort.Medium,
        "high" => ReasoningEffort.High,
        _ => throw new CliException($"{what} must be low, medium or high, not \"{text}\""),
    };
}
