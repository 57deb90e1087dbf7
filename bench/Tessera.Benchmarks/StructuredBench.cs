// `structured [--model FILE] [--generations N] [--threads T]`: structured output under the largest test schema. Per
// generated token: the time the sampler spent on the constraint (checking its choice, building and applying the mask
// after a rejection, advancing the parser) beside the model's decode time; then the full-mask path alone, replayed
// over the answers' tokens, cold (a fresh automaton: every state's mask computed) and warm (cached). Default model: the
// tiny synthetic preset, written to a temporary file.

using System.Diagnostics;
using System.Globalization;
using Tessera.Chat;
using Tessera.Constraints;
using Tessera.Models.GptOss;
using Tessera.Synthetic;
using Tessera.Tests.Constraints;

namespace Tessera.Benchmarks;

internal static class StructuredBench
{
    public static int Run(string[] args)
    {
        string? path = null;
        var generations = 20;
        int? threads = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": path = args[++i]; break;
                case "--generations": generations = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        string? temp = null;
        if (path is null)
        {
            temp = Path.Combine(Path.GetTempPath(), $"tessera-structured-bench-{Environment.ProcessId}.gguf");
            SyntheticGptOss.Write(temp, new SyntheticGptOssOptions { HyperParameters = GptOssHyperParameters.Tiny, Seed = 1 });
            path = temp;
        }
        try
        {
            using var model = TesseraModel.Load(path, new TesseraModelOptions { ContextSize = 4096, Threads = threads });
            Console.WriteLine($"model {model.Name}, {Environment.ProcessorCount} logical cores");
            var sw = Stopwatch.StartNew();
            var trie = TokenTrie.For(model.Tokenizer);
            Console.WriteLine($"token trie: {trie.NodeCount:N0} nodes over {trie.VocabularySize:N0} tokens, built in {sw.Elapsed.TotalMilliseconds:F0} ms");
            sw.Restart();
            Grammar.FromJsonSchema(BoundedSchemas.Largest);
            Console.WriteLine($"largest schema compiled in {sw.Elapsed.TotalMilliseconds:F1} ms");

            var perToken = new List<double>();
            var firstGeneration = new List<double>();
            double evalMs = 0, sampleMs = 0;
            int evalRuns = 0, sampleRuns = 0;
            var answers = new List<string>();
            for (var g = 0; g < generations; g++)
            {
                var completion = model.CreateChatCompletion([ChatMessage.User("Fill in the profile.")], new ChatCompletionOptions
                {
                    MaxTokens = 3000,
                    MaxReasoningTokens = 0,
                    ResponseFormat = ChatResponseFormat.ForJsonSchema("profile", BoundedSchemas.Largest),
                    Sampling = new() { Seed = (ulong)g },
                });
                var times = model.LastConstraintMicroseconds;
                (g == 0 ? firstGeneration : perToken).AddRange(times);
                evalMs += model.LastTimings!.EvalMs;
                evalRuns += model.LastTimings.EvalRuns;
                if (g > 0)
                {
                    sampleMs += model.LastTimings.SampleMs;
                    sampleRuns += model.LastTimings.SampleRuns;
                }
                if (completion.Choices[0].FinishReason == "stop") answers.Add(completion.Choices[0].Message.Content!);
            }
            Console.WriteLine($"{generations} generations, {answers.Count} finished; decode {evalMs / Math.Max(1, evalRuns) * 1000:F0} µs/token over {evalRuns} tokens");
            Console.WriteLine($"sampling (the sampler with the constraint), later generations: {sampleMs / Math.Max(1, sampleRuns) * 1000:F1} µs/token over {sampleRuns} tokens");
            Report("constraint per token, first generation (cold caches)", firstGeneration);
            Report("constraint per token, later generations", perToken);

            // The full-mask path alone: every token of the answers, a mask per state.
            var tokens = answers.Select(a => model.Tokenize(a, parseSpecial: false)).ToList();
            var coldGrammar = Grammar.FromJsonSchema(BoundedSchemas.Largest);
            sw.Restart();
            var cold = ReplayMasks(model, trie, tokens, coldGrammar);
            var automaton = coldGrammar.AutomatonFor(trie);
            Console.WriteLine($"cold replay: {sw.Elapsed.TotalMilliseconds:F0} ms, {automaton.StateCount:N0} states, {automaton.ComputedSteps:N0} transitions computed, {automaton.NodeCount:N0} stack nodes, {automaton.CachedMasks} masks");
            var fresh = Grammar.FromJsonSchema(BoundedSchemas.Largest);
            ReplayMasks(model, trie, tokens, fresh);
            var warm = ReplayMasks(model, trie, tokens, fresh);
            var checkCold = ReplayChecks(model, trie, tokens, Grammar.FromJsonSchema(BoundedSchemas.Largest));
            var checkWarm = ReplayChecks(model, trie, tokens, fresh);
            fresh.AutomatonFor(trie).ClearMasks();
            var walkOnly = ReplayMasks(model, trie, tokens, fresh);
            Report("full mask per token, cold (fresh automaton)", cold);
            Report("full mask per token, transitions known (trie walk only)", walkOnly);
            Report("full mask per token, warm (cached states)", warm);
            Report("fast path (the model's choice is allowed): check and advance per token, cold", checkCold);
            Report("fast path (the model's choice is allowed): check and advance per token, warm", checkWarm);
            return 0;
        }
        finally
        {
            if (temp is not null) File.Delete(temp);
        }
    }

    private static List<double> ReplayMasks(TesseraModel model, TokenTrie trie, List<int[]> answers, Grammar grammar)
    {
        var times = new List<double>();
        foreach (var answer in answers)
        {
            var matcher = new GrammarMatcher(grammar, trie);
            foreach (var token in answer)
            {
                var start = Stopwatch.GetTimestamp();
                matcher.Mask();
                times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                if (!matcher.TryAccept(model.Tokenizer.GetTokenBytes(token))) throw new InvalidOperationException("replayed answer left the grammar");
            }
        }
        return times;
    }

    // What a model that follows the schema costs: its choice checked, then the parser moved on; no mask.
    private static List<double> ReplayChecks(TesseraModel model, TokenTrie trie, List<int[]> answers, Grammar grammar)
    {
        var times = new List<double>();
        foreach (var answer in answers)
        {
            var matcher = new GrammarMatcher(grammar, trie);
            foreach (var token in answer)
            {
                var start = Stopwatch.GetTimestamp();
                var bytes = model.Tokenizer.GetTokenBytes(token);
                if (!matcher.Allows(bytes) || !matcher.TryAccept(bytes)) throw new InvalidOperationException("replayed answer left the grammar");
                times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }
        return times;
    }

    private static void Report(string what, List<double> microseconds)
    {
        if (microseconds.Count == 0) return;
        var sorted = microseconds.Order().ToArray();
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        Console.WriteLine($"{what}: {sorted.Length} tokens, mean {sorted.Average():F1} µs, p50 {P(0.5):F1}, p99 {P(0.99):F1}, max {sorted[^1]:F1}");
    }
}
