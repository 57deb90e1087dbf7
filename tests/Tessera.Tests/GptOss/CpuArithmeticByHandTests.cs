// How far the CPU's own arithmetic choices move the logits of a model, for scale beside the GPU-against-CPU comparison
// (CudaModelTests.ByHandModelsAgreeWithTheCpu: the same prompt, decode tokens and agreement figures). By hand, not in CI:
//   tessera make-test-model --preset gpt-oss-20b --layers 2 --seed 7 -o /tmp/l2-mxfp4.gguf
//   TESSERA_CPU_COMPARE="/tmp/l2-mxfp4.gguf" ./Tessera.Tests -method Tessera.Tests.GptOss.CpuArithmeticByHandTests.CpuAgainstItsOtherArithmetic

using Tessera.Models.GptOss;
using Tessera.Tests.Backends;

namespace Tessera.Tests.GptOss;

public class CpuArithmeticByHandTests
{
    [Fact]
    public void CpuAgainstItsOtherArithmetic()
    {
        var list = Environment.GetEnvironmentVariable("TESSERA_CPU_COMPARE");
        if (string.IsNullOrEmpty(list))
            Assert.Skip("set TESSERA_CPU_COMPARE to GGUF paths (';'-separated) to compare the CPU's arithmetic choices on them");
        foreach (var path in list.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var prompt = CudaModelTests.RandomTokens(5, 300, 201088);
            var decode = CudaModelTests.RandomTokens(6, 16, 201088);
            (float[] Prompt, float[] Decode) Logits(bool exactAttention, bool roundActivations)
            {
                using var p = GptOssPredictor.Open(path, new GptOssPredictorOptions
                {
                    ContextSize = 512, Threads = Environment.ProcessorCount, ExactAttention = exactAttention, RoundActivations = roundActivations,
                });
                return CudaModelTests.Run(p, prompt, decode);
            }
            // As shipped: the tiled attention (F32) and activations rounded to Q8_0 before each product.
            var shipped = Logits(exactAttention: false, roundActivations: true);
            foreach (var (label, exact, round) in new[] { ("ggml's exact attention (queries, value sums in F16)", true, true), ("F32 activations", false, false) })
            {
                var other = Logits(exact, round);
                var a = CudaModelTests.Compare(shipped.Prompt, other.Prompt, 201088);
                var d = CudaModelTests.Compare(shipped.Decode, other.Decode, 201088);
                Console.Error.WriteLine($"{Path.GetFileName(path)}: cpu as shipped vs cpu with {label}: prompt {a}; decode {d}");
                // Each choice moves the logits (else this measures nothing), and not beyond recognition.
                Assert.InRange(a.RelativeRms, 1e-7, 0.5);
            }
        }
    }
}
