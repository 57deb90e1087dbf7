// Entry point. `tokenizer` runs the quick Stopwatch comparison (TokenizerComparison); `vs-llama` runs Tessera and
// llama.cpp side by side on one GGUF (VsLlama; `worker` is its child process); `membw` measures read bandwidth
// (MemoryBandwidth); `attention` times the attention op (AttentionBench); `depth` compares speed at depth with an empty
// cache (DepthBench); `sampling` times the host sampler (SamplerBench); `structured` measures the constraint's time per
// token beside decode (StructuredBench); anything else goes to BenchmarkDotNet's switcher, e.g. `-- --filter '*TokenizerBenchmarks*'`.

using BenchmarkDotNet.Running;
using Tessera.Benchmarks;

if (args.Length > 0 && args[0] == "tokenizer")
    return TokenizerComparison.Run(args[1..]);
if (args.Length > 0 && args[0] == "vs-llama")
    return VsLlama.Run(args[1..]);
if (args.Length > 0 && args[0] == "worker")
    return BenchWorker.Run(args[1..]);
if (args.Length > 0 && args[0] == "kernels")
    return KernelBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "attention")
    return AttentionBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "depth")
    return DepthBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "sampling")
    return SamplerBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "structured")
    return StructuredBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "membw")
    return MemoryBandwidth.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(TokenizerComparison).Assembly).Run(args);
return 0;
