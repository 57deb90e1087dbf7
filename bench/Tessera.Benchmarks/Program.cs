// Entry point. `tokenizer` runs the quick Stopwatch comparison (TokenizerComparison); anything else goes to
// BenchmarkDotNet's switcher, e.g. `-- --filter '*TokenizerBenchmarks*'`.

using BenchmarkDotNet.Running;
using Tessera.Benchmarks;

if (args.Length > 0 && args[0] == "tokenizer")
    return TokenizerComparison.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(TokenizerComparison).Assembly).Run(args);
return 0;
