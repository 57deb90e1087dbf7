// Quick Stopwatch comparison of Tessera's BpeTokenizer with Microsoft.ML.Tokenizers' o200k_base (gpt-4o) on
// generated mixed text: encode and decode throughput in MB/s of UTF-8 text, the ratio, and a check that both give
// the same ids on the ASCII paragraphs (where llama.cpp's gpt-4o split equals tiktoken's).
// Each repetition uses fresh tokenizers warmed on different text, so no run finds the measured text in a cache.

using System.Diagnostics;
using System.Globalization;
using System.Text;
using TiktokenTokenizer = Microsoft.ML.Tokenizers.TiktokenTokenizer;
using Tessera.Tokenization;

namespace Tessera.Benchmarks;

internal static class TokenizerComparison
{
    public static int Run(string[] args)
    {
        int megabytes = Option(args, "--mb", 10), repeat = Option(args, "--repeat", 5), seed = Option(args, "--seed", 1);
        Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores");

        var clock = Stopwatch.StartNew();
        MixedText mixed = MixedText.Generate(megabytes * 1_000_000, seed);
        string text = mixed.Text, warmup = MixedText.Generate(1_000_000, seed + 1000).Text;
        double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
        Console.WriteLine($"text: {mb:F2} MB UTF-8, {text.Length:N0} chars, seed {seed} ({clock.Elapsed.TotalSeconds:F1} s to generate); " +
                          $"ASCII part {Encoding.UTF8.GetByteCount(mixed.AsciiText) / 1e6:F2} MB");

        clock.Restart();
        var vocabulary = O200kHarmonyVocabulary.Load();
        Console.WriteLine($"o200k_harmony vocabulary: {clock.Elapsed.TotalSeconds:F2} s");
        BpeTokenizer Ours()
        {
            var tokenizer = new BpeTokenizer(vocabulary.Tokens, vocabulary.TokenTypes, vocabulary.Merges, O200kHarmonyVocabulary.PreTokenizer);
            tokenizer.Encode(warmup, parseSpecial: false);
            return tokenizer;
        }
        TiktokenTokenizer Theirs()
        {
            var tokenizer = TiktokenTokenizer.CreateForModel("gpt-4o");
            tokenizer.EncodeToIds(warmup);
            return tokenizer;
        }
        clock.Restart();
        BpeTokenizer ours = Ours();
        Console.WriteLine($"BpeTokenizer construction + 1 MB warm-up: {clock.Elapsed.TotalSeconds:F2} s");

        bool ok = Check(mixed, ours, Theirs());

        // MB/s by wall clock and by the process's CPU time: on a shared machine the second moves less with the load.
        var wall = new Dictionary<string, List<double>>();
        var cpu = new Dictionary<string, List<double>>();
        double asciiMb = Encoding.UTF8.GetByteCount(mixed.AsciiText) / 1e6;
        for (int r = 0; r < repeat; r++)
        {
            // Fresh instances, warmed on other text; interleaved so both see the same machine load.
            ours = Ours();
            TiktokenTokenizer theirs = Theirs();
            int[] ourIds = Time(() => ours.Encode(text, parseSpecial: false), mb, "encode", "Tessera");
            IReadOnlyList<int> theirIds = Time(() => theirs.EncodeToIds(text), mb, "encode", "ML");
            string ourText = Time(() => ours.Decode(ourIds), mb, "decode", "Tessera");
            string theirText = Time(() => theirs.Decode(theirIds), mb, "decode", "ML");
            ok &= ourText == text && theirText == text;
            Time(() => ours.Encode(mixed.AsciiText, parseSpecial: false), asciiMb, "ASCII encode", "Tessera");
            Time(() => theirs.EncodeToIds(mixed.AsciiText), asciiMb, "ASCII encode", "ML");
            Console.WriteLine($"  run {r + 1}: encode {wall["encode Tessera"][^1]:F1} vs {wall["encode ML"][^1]:F1} MB/s, " +
                              $"decode {wall["decode Tessera"][^1]:F1} vs {wall["decode ML"][^1]:F1} MB/s, " +
                              $"ASCII encode {wall["ASCII encode Tessera"][^1]:F1} vs {wall["ASCII encode ML"][^1]:F1} MB/s; load {LoadAverage()}");
        }

        T Time<T>(Func<T> action, double megabytes, string op, string who)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            T result = action();
            double seconds = clock.Elapsed.TotalSeconds;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            string name = $"{op} {who}";
            (wall.TryGetValue(name, out var w) ? w : wall[name] = []).Add(megabytes / seconds);
            (cpu.TryGetValue(name, out var c) ? c : cpu[name] = []).Add(megabytes / cpuSeconds);
            return result;
        }

        Console.WriteLine();
        Console.WriteLine($"MB/s, median of {repeat} [best]; ratio = Tessera / ML.Tokenizers");
        Console.WriteLine($"{"",-14} {"Tessera",14} {"ML.Tokenizers",14} {"ratio",6}   {"Tessera CPU",14} {"ML CPU",14} {"ratio",6}");
        foreach (string op in (string[])["encode", "decode", "ASCII encode"])
        {
            List<double> a = wall[$"{op} Tessera"], b = wall[$"{op} ML"], ca = cpu[$"{op} Tessera"], cb = cpu[$"{op} ML"];
            Console.WriteLine($"{op,-14} {Cell(a),14} {Cell(b),14} {Median(a) / Median(b),6:F2}   {Cell(ca),14} {Cell(cb),14} {Median(ca) / Median(cb),6:F2}");
        }
        static string Cell(List<double> values) => $"{Median(values),6:F1} [{values.Max(),5:F1}]";
        if (args.Contains("--by-kind"))
            ByKind(mixed, Ours(), Theirs());
        Console.WriteLine($"load average after: {LoadAverage()}");
        Console.WriteLine(ok ? "checks passed" : "CHECKS FAILED");
        return ok ? 0 : 1;
    }

    // Same ids on the ASCII paragraphs; both round-trip the whole text; token counts on the whole text for reference.
    private static bool Check(MixedText mixed, BpeTokenizer ours, TiktokenTokenizer theirs)
    {
        int[] a = ours.Encode(mixed.AsciiText, parseSpecial: false);
        IReadOnlyList<int> b = theirs.EncodeToIds(mixed.AsciiText);
        int mismatch = 0;
        while (mismatch < a.Length && mismatch < b.Count && a[mismatch] == b[mismatch])
            mismatch++;
        bool same = a.Length == b.Count && mismatch == a.Length;
        Console.WriteLine(same
            ? $"ASCII part: ids agree ({a.Length:N0} tokens)"
            : $"ASCII part: ids DIFFER at token {mismatch} of {a.Length:N0} / {b.Count:N0}: " +
              $"'{ours.Decode(a.AsSpan(mismatch, Math.Min(8, a.Length - mismatch)))}'");

        int[] all = ours.Encode(mixed.Text, parseSpecial: false);
        IReadOnlyList<int> theirAll = theirs.EncodeToIds(mixed.Text);
        bool roundTrip = ours.Decode(all) == mixed.Text && theirs.Decode(theirAll) == mixed.Text;
        Console.WriteLine($"whole text: {all.Length:N0} tokens (Tessera), {theirAll.Count:N0} (ML.Tokenizers; differs where llama.cpp's " +
                          $"gpt-4o split differs from tiktoken's on non-ASCII text); round trip {(roundTrip ? "ok" : "FAILED")}");
        return same && roundTrip;
    }

    // Encode throughput per kind of paragraph (one pass each, after the runs above warmed everything up).
    private static void ByKind(MixedText mixed, BpeTokenizer ours, TiktokenTokenizer theirs)
    {
        Console.WriteLine();
        Console.WriteLine($"{"kind",-10} {"MB",6} {"chars/token",12} {"Tessera MB/s",13} {"ML MB/s",8} {"ratio",6}");
        foreach ((string kind, string text) in mixed.ByKind.OrderByDescending(pair => pair.Value.Length))
        {
            double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
            var clock = Stopwatch.StartNew();
            int tokens = ours.Encode(text, parseSpecial: false).Length;
            double a = mb / clock.Elapsed.TotalSeconds;
            clock.Restart();
            theirs.EncodeToIds(text);
            double b = mb / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{kind,-10} {mb,6:F2} {text.Length / (double)tokens,12:F2} {a,13:F1} {b,8:F1} {a / b,6:F2}");
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
