// BenchmarkDotNet record of TokenizerComparison: encode and decode of the same generated mixed text with Tessera's
// BpeTokenizer and Microsoft.ML.Tokenizers' o200k_base (the baseline). Encode iterations start from fresh tokenizers
// warmed on other text, so no iteration finds the measured text in a cache. Run with
// `dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*TokenizerBenchmarks*'`.

using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Tessera.Tokenization;
using TiktokenTokenizer = Microsoft.ML.Tokenizers.TiktokenTokenizer;

namespace Tessera.Benchmarks;

[Config(typeof(Config))]
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    public const int TextBytes = 10_000_000, Seed = 1;
    private const int DecodeRepeats = 4;

    private string _text = "", _warmup = "";
    private O200kHarmonyVocabulary _vocabulary = null!;
    private BpeTokenizer _ours = null!;
    private TiktokenTokenizer _theirs = null!;
    private int[] _ourIds = [];
    private int[] _theirIds = [];

    [GlobalSetup]
    public void Setup()
    {
        _text = MixedText.Generate(TextBytes, Seed).Text;
        _warmup = MixedText.Generate(1_000_000, Seed + 1000).Text;
        _vocabulary = O200kHarmonyVocabulary.Load();
        FreshTokenizers();
        _ourIds = _ours.Encode(_text, parseSpecial: false);
        _theirIds = [.. _theirs.EncodeToIds(_text)];
    }

    [IterationSetup(Targets = [nameof(EncodeTessera), nameof(EncodeMlTokenizers)])]
    public void FreshTokenizers()
    {
        _ours = new BpeTokenizer(_vocabulary.Tokens, _vocabulary.TokenTypes, _vocabulary.Merges, O200kHarmonyVocabulary.PreTokenizer);
        _ours.Encode(_warmup, parseSpecial: false);
        _theirs = TiktokenTokenizer.CreateForModel("gpt-4o");
        _theirs.EncodeToIds(_warmup);
    }

    [Benchmark, BenchmarkCategory("encode")]
    public int EncodeTessera() => _ours.Encode(_text, parseSpecial: false).Length;

    [Benchmark(Baseline = true), BenchmarkCategory("encode")]
    public int EncodeMlTokenizers() => _theirs.EncodeToIds(_text).Count;

    // Decoding takes a tenth of the time, so each invocation decodes the text several times.
    [Benchmark(OperationsPerInvoke = DecodeRepeats), BenchmarkCategory("decode")]
    public int DecodeTessera()
    {
        int length = 0;
        for (int i = 0; i < DecodeRepeats; i++)
            length += _ours.Decode(_ourIds).Length;
        return length;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = DecodeRepeats), BenchmarkCategory("decode")]
    public int DecodeMlTokenizers()
    {
        int length = 0;
        for (int i = 0; i < DecodeRepeats; i++)
            length += _theirs.Decode(_theirIds)!.Length;
        return length;
    }

    // One invocation per iteration (each takes a second or so); a few iterations are enough at this size.
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1));
            AddColumn(new ThroughputColumn());
            AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        }
    }

    // MB of UTF-8 text per second, from the mean time.
    private sealed class ThroughputColumn : IColumn
    {
        private static readonly Lazy<double> s_megabytes = new(() => Encoding.UTF8.GetByteCount(MixedText.Generate(TextBytes, Seed).Text) / 1e6);

        public string Id => nameof(ThroughputColumn);
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Megabytes of UTF-8 text per second (mean time)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return nanoseconds is > 0 ? (s_megabytes.Value / (nanoseconds.Value / 1e9)).ToString("F1") : "-";
        }
    }
}
