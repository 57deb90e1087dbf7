// How far the CPU's own arithmetic choices, and last-bit changes of its inputs (RMSNorm weights one ulp away, in a copy of
// the model written to the temporary folder), move the logits of a model, for scale beside the GPU-against-CPU comparison
// (CudaModelTests.ByHandModelsAgreeWithTheCpu: the same prompts, decode tokens and agreement figures). By hand, not in CI:
//   tessera make-test-model --preset gpt-oss-20b --layers 2 --seed 7 -o /tmp/l2-mxfp4.gguf
//   TESSERA_CPU_COMPARE="/tmp/l2-mxfp4.gguf" ./Tessera.Tests -method Tessera.Tests.GptOss.CpuArithmeticByHandTests.CpuAgainstItsOtherArithmetic

using Tessera.Gguf;
using Tessera.Models.GptOss;
using Tessera.Quants;
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
            var (prompts, decode) = CudaModelTests.ByHandTokens();
            int context = Math.Max(512, prompts[0].Length + decode.Length);
            (float[] Prompt, float[] Decode) Logits(bool exactAttention, bool roundActivations)
            {
                using var p = GptOssPredictor.Open(path, new GptOssPredictorOptions
                {
                    ContextSize = context, Threads = Environment.ProcessorCount, ExactAttention = exactAttention, RoundActivations = roundActivations,
                });
                return CudaModelTests.RunAll(p, prompts, decode);
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

            // The same arithmetic on copies of the model whose RMSNorm weights each moved by one ulp (up and down in turn,
            // even elements up in one copy, odd ones in the other): every normalised row then differs from the original's
            // in its last bits only, as the GPU's float sums in another order make it differ, and this shows how far such
            // last-bit differences alone carry the logits.
            using var original = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = context, Threads = Environment.ProcessorCount });
            foreach (int parity in new[] { 0, 1 })
            {
                var nudged = NormsMovedByOneUlp(path, parity);
                try
                {
                    using var p = GptOssPredictor.Open(nudged, new GptOssPredictorOptions { ContextSize = context, Threads = Environment.ProcessorCount });
                    var other = CudaModelTests.RunAll(p, prompts, decode);
                    var a = CudaModelTests.Compare(shipped.Prompt, other.Prompt, 201088);
                    var d = CudaModelTests.Compare(shipped.Decode, other.Decode, 201088);
                    var what = $"{Path.GetFileName(path)}: cpu as shipped vs the same on RMSNorm weights one ulp away ({(parity == 0 ? "even" : "odd")} elements up)";
                    Console.Error.WriteLine($"{what}: prompt {a}; decode {d}");
                    Assert.InRange(a.RelativeRms, 1e-7, 0.5);
                    // Block by block, as BlockByBlockTests holds the GPU against the CPU: the yardstick for its figures.
                    var blocks = BlockByBlockTests.CompareBlocks(original.Model, p.Model, prompts[0].Length, decode.Length);
                    Console.Error.WriteLine($"{what}, block by block: {BlockByBlockTests.Summary(blocks)}");
                }
                finally
                {
                    File.Delete(nudged);
                }
            }
        }
    }

    // A copy of the GGUF at `path` (in the temporary folder) with every non-zero element of its F32 RMSNorm weights one ulp
    // larger in magnitude where its index has the given parity, one ulp smaller elsewhere.
    private static string NormsMovedByOneUlp(string path, int parity)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"{Path.GetFileNameWithoutExtension(path)}.norms-one-ulp.gguf");
        File.Copy(path, copy, overwrite: true);
        List<GgufTensorInfo> norms;
        using (var gguf = GgufFile.Open(path))
            norms = gguf.Tensors.Where(t => t.Name.EndsWith("norm.weight", StringComparison.Ordinal) && t.Type == GgmlType.F32).ToList();
        Assert.NotEmpty(norms);
        using var file = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite);
        foreach (var t in norms)
        {
            var bytes = new byte[t.ByteSize];
            file.Position = t.FileOffset;
            file.ReadExactly(bytes);
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes.AsSpan());
            for (int i = 0; i < values.Length; i++)
                if ((values[i] & 0x7FFFFFFF) != 0) values[i] += i % 2 == parity ? 1 : -1;
            file.Position = t.FileOffset;
            file.Write(bytes);
        }
        return copy;
    }
}
