// Block by block: each transformer block run alone (GptOssModel.ForwardBlock) on the residual stream entering it. On every
// backend the blocks run one after another give the whole forward pass's logits bit for bit, so what the per-block
// comparison compares is what the model computes. On the GPU each block, given the CPU's input to it, is held against the
// CPU's output of it (the CPU as shipped: activations rounded to Q8_0, as the GPU's integer products round them): the
// tiny and small models here, the 20b's 24 blocks by hand (TESSERA_CUDA_BLOCKS). Comparing a block given the same input
// is how the whole depth is checked: with random weights the full 20b is chaotic, and its logits say little.

using Tessera.Backends;
using Tessera.Models.GptOss;
using Tessera.Quants;
using Tessera.Synthetic;

namespace Tessera.Tests.Backends;

public class BlockByBlockTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void BlocksOneAfterAnotherGiveTheForwardPassesLogits(string backendName)
    {
        using var backend = TestBackends.Create(backendName);
        using var model = GptOssModel.Open(TestModels.Tiny, backend);
        var hp = model.HyperParameters;
        int v = hp.VocabularySize, width = hp.EmbeddingLength;
        // 150 positions: the tiny model's 128-position window wraps its ring, as it does in a conversation.
        var prompt = CudaModelTests.RandomTokens(11, 150, v);
        var decode = CudaModelTests.RandomTokens(12, 3, v);

        var expected = new List<float[]>();
        using (var cache = model.CreateCache(256, prompt.Length))
        {
            expected.Add(backend.ReadFloats(model.Forward(prompt, cache, 0)!));
            foreach (var token in decode) expected.Add(backend.ReadFloats(model.Forward([token], cache, 0)!));
        }

        // A cache per block, each advanced as the whole pass advances its one cache.
        var caches = Enumerable.Range(0, hp.BlockCount).Select(_ => model.CreateCache(256, prompt.Length)).ToArray();
        try
        {
            var steps = new[] { prompt }.Concat(decode.Select(t => new[] { t })).ToArray();
            for (int s = 0; s < steps.Length; s++)
            {
                var h = new float[steps[s].Length * width];
                model.Embed(steps[s], h);
                for (int il = 0; il < hp.BlockCount; il++)
                {
                    var next = new float[h.Length];
                    model.ForwardBlock(il, h, caches[il], next);
                    h = next;
                }
                var logits = HeadLogits(model, h);
                Assert.Equal(expected[s].Length, logits.Length);
                int differ = 0;
                float worst = 0;
                for (int i = 0; i < logits.Length; i++)
                    if (BitConverter.SingleToInt32Bits(logits[i]) != BitConverter.SingleToInt32Bits(expected[s][i]))
                    {
                        differ++;
                        worst = Math.Max(worst, Math.Abs(logits[i] - expected[s][i]));
                    }
                Assert.True(differ == 0, $"{backendName}, step {s}: {differ} of {logits.Length} logits differ from the whole pass's, by up to {worst:E2}");
            }
        }
        finally
        {
            foreach (var c in caches) c.Dispose();
        }
    }

    [Fact]
    public void ForwardBlockRefusesRowsOfTheWrongWidth()
    {
        using var backend = TestBackends.Create("cpu");
        using var model = GptOssModel.Open(TestModels.Tiny, backend);
        using var cache = model.CreateCache(64, 8);
        int width = model.HyperParameters.EmbeddingLength;
        var e = Assert.Throws<ArgumentException>(() => model.ForwardBlock(0, new float[width + 1], cache, new float[width + 1]));
        Assert.Contains($"rows of {width} values", e.Message);
        Assert.Throws<ArgumentException>(() => model.ForwardBlock(0, new float[width], cache, new float[2 * width]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardBlock(model.HyperParameters.BlockCount, new float[width], cache, new float[width]));
        Assert.Equal(0, cache.Position);   // nothing claimed by a refused call
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    public void EachBlockOnTheGpuAgreesWithTheCpuGivenTheSameInput(string preset)
    {
        TestBackends.RequireGpu();
        var path = TestModels.Make($"{preset}-blocks-seed3.gguf",
            new SyntheticGptOssOptions { HyperParameters = GptOssHyperParameters.Presets[preset], Seed = 3 });
        var report = CompareBlocks(path, promptLength: 200, decodeLength: 8);
        foreach (var line in report) Console.Error.WriteLine(line);
        AssertWithinTolerance(report);
    }

    /// <summary>By hand on the GPU machine: TESSERA_CUDA_BLOCKS = model paths separated by ';' (the 20b synthetic: every
    /// one of its 24 blocks); 300-token prompts then 16 tokens one at a time; a line per block and phase to stderr and to
    /// TESSERA_CUDA_BLOCKS_REPORT when set.</summary>
    [Fact]
    public void ByHandEachBlockAgreesWithTheCpu()
    {
        var list = Environment.GetEnvironmentVariable("TESSERA_CUDA_BLOCKS");
        if (string.IsNullOrEmpty(list))
            Assert.Skip("set TESSERA_CUDA_BLOCKS to GGUF paths (';'-separated) to compare the GPU with the CPU block by block");
        TestBackends.RequireGpu();
        var all = new List<BlockAgreement>();
        var lines = new List<string>();
        foreach (var path in list.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var report = CompareBlocks(path, promptLength: 300, decodeLength: 16);
            lines.Add(Path.GetFileName(path));
            lines.AddRange(report.Select(r => r.ToString()));
            lines.Add(Summary(report));
            all.AddRange(report);
            foreach (var line in lines.Skip(lines.Count - report.Count - 2)) Console.Error.WriteLine(line);
        }
        if (Environment.GetEnvironmentVariable("TESSERA_CUDA_BLOCKS_REPORT") is { Length: > 0 } file)
            File.WriteAllLines(file, lines);
        AssertWithinTolerance(all);
    }

    /// <summary>How one block's output on the GPU compares with the CPU's, given the same input rows: how many rows chose
    /// the same set of experts; over those rows, the difference's RMS relative to the RMS of what the block added to the
    /// stream (output − input) and the worst such row; and the same over every row.</summary>
    public sealed record BlockAgreement(int Layer, string Phase, int Rows, int SameExperts, double RelativeToBlock, double WorstRow,
        double RelativeToBlockAllRows)
    {
        public double ExpertAgreement => SameExperts / (double)Rows;

        public override string ToString() => FormattableString.Invariant(
            $"block {Layer,2} {Phase,-6} {Rows,3} rows: same experts {SameExperts}/{Rows}, difference / block's addition {RelativeToBlock:P3} (worst row {WorstRow:P3}), all rows {RelativeToBlockAllRows:P3}");
    }

    // The tolerances the GPU is held to, per block and phase (docs/cuda-backend.md, Precision: block by block). Measured on
    // the H200 (run 68): the 20b synthetic's 24 blocks at most 0.50% (prompt) and 0.76% (decode), worst row 0.83%, every
    // one of 7,584 rows with the CPU's experts; the 2-layer model at most 0.42% and 0.76%.
    private const double MaxRelativeToBlock = 0.02, MaxWorstRow = 0.05, MinExpertAgreement = 0.97;

    private static void AssertWithinTolerance(IReadOnlyList<BlockAgreement> report)
    {
        Assert.All(report, r =>
        {
            Assert.True(r.RelativeToBlock < MaxRelativeToBlock, r.ToString());
            Assert.True(r.WorstRow < MaxWorstRow, r.ToString());
            Assert.True(r.ExpertAgreement >= MinExpertAgreement || r.Rows - r.SameExperts <= 1, r.ToString());
        });
    }

    public static string Summary(IReadOnlyList<BlockAgreement> report)
    {
        string For(string phase)
        {
            var rows = report.Where(r => r.Phase == phase).ToList();
            if (rows.Count == 0) return $"{phase}: none";
            return FormattableString.Invariant(
                $"{phase}: same experts {rows.Sum(r => r.SameExperts)}/{rows.Sum(r => r.Rows)}, difference / block's addition median {Median(rows.Select(r => r.RelativeToBlock)):P3}, largest {rows.Max(r => r.RelativeToBlock):P3} (block {rows.MaxBy(r => r.RelativeToBlock)!.Layer}), worst row {rows.Max(r => r.WorstRow):P3}");
        }
        return $"summary: {For("prompt")}; {For("decode")}";
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Each block of the model at <paramref name="path"/> on the GPU against the CPU as shipped, given the CPU's
    /// input to it: a prompt of <paramref name="promptLength"/> random tokens evaluated at once (the prefill path), then
    /// <paramref name="decodeLength"/> tokens one at a time (the decode path), each block with its own cache on each side.</summary>
    public static List<BlockAgreement> CompareBlocks(string path, int promptLength, int decodeLength)
    {
        using var cpu = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = 512, Threads = Environment.ProcessorCount });
        using var gpu = GptOssPredictor.Open(path, new GptOssPredictorOptions { ContextSize = 512, Device = DeviceChoice.Cuda });
        return CompareBlocks(cpu.Model, gpu.Model, promptLength, decodeLength);
    }

    /// <summary>Each block of <paramref name="other"/> against the same block of <paramref name="reference"/> (models of
    /// one shape), given the reference's input to it, as <see cref="CompareBlocks(string, int, int)"/> does.</summary>
    public static List<BlockAgreement> CompareBlocks(GptOssModel reference, GptOssModel other, int promptLength, int decodeLength)
    {
        var (cm, gm) = (reference, other);
        var hp = cm.HyperParameters;
        int width = hp.EmbeddingLength, k = hp.ExpertUsedCount, context = promptLength + decodeLength;
        var prompt = CudaModelTests.RandomTokens(5, promptLength, hp.VocabularySize);
        var decode = CudaModelTests.RandomTokens(6, decodeLength, hp.VocabularySize);

        // The inputs of block 0: the embedding rows of the prompt, then of each decoded token.
        var promptIn = new float[promptLength * width];
        cm.Embed(prompt, promptIn);
        var decodeIn = new float[decodeLength * width];
        cm.Embed(decode, decodeIn);

        var report = new List<BlockAgreement>();
        for (int il = 0; il < hp.BlockCount; il++)
        {
            using var cc = cm.CreateCache(context, promptLength);
            using var gc = gm.CreateCache(context, promptLength);
            var (cOut, gOut) = (new float[promptIn.Length], new float[promptIn.Length]);
            var (cE, gE) = (new int[promptLength * k], new int[promptLength * k]);
            cm.ForwardBlock(il, promptIn, cc, cOut, cE);
            gm.ForwardBlock(il, promptIn, gc, gOut, gE);
            report.Add(Measure(il, "prompt", promptIn, cOut, gOut, cE, gE, width, k));

            var (cdOut, gdOut) = (new float[decodeIn.Length], new float[decodeIn.Length]);
            var (cdE, gdE) = (new int[decodeLength * k], new int[decodeLength * k]);
            for (int t = 0; t < decodeLength; t++)
            {
                var row = decodeIn.AsSpan(t * width, width);
                cm.ForwardBlock(il, row, cc, cdOut.AsSpan(t * width, width), cdE.AsSpan(t * k, k));
                gm.ForwardBlock(il, row, gc, gdOut.AsSpan(t * width, width), gdE.AsSpan(t * k, k));
            }
            if (decodeLength > 0) report.Add(Measure(il, "decode", decodeIn, cdOut, gdOut, cdE, gdE, width, k));
            (promptIn, decodeIn) = (cOut, cdOut);   // the next block's inputs: the CPU's outputs of this one
        }
        return report;
    }

    private static BlockAgreement Measure(int layer, string phase, float[] input, float[] cpu, float[] gpu, int[] cpuExperts, int[] gpuExperts,
        int width, int k)
    {
        int rows = input.Length / width, same = 0;
        double err = 0, add = 0, errAll = 0, addAll = 0, worst = 0;
        for (int r = 0; r < rows; r++)
        {
            double e = 0, a = 0;
            for (int i = r * width; i < (r + 1) * width; i++)
            {
                double d = (double)gpu[i] - cpu[i], b = (double)cpu[i] - input[i];
                e += d * d;
                a += b * b;
            }
            errAll += e;
            addAll += a;
            var ce = cpuExperts.AsSpan(r * k, k).ToArray().Order();
            if (!ce.SequenceEqual(gpuExperts.AsSpan(r * k, k).ToArray().Order())) continue;
            same++;
            err += e;
            add += a;
            worst = Math.Max(worst, Math.Sqrt(e / Math.Max(a, 1e-30)));
        }
        return new BlockAgreement(layer, phase, rows, same, Math.Sqrt(err / Math.Max(add, 1e-30)), worst, Math.Sqrt(errAll / Math.Max(addAll, 1e-30)));
    }

    // The head as the forward pass runs it: final RMSNorm, then the output matrix.
    private static float[] HeadLogits(GptOssModel model, float[] rows)
    {
        var (b, hp) = (model.Backend, model.HyperParameters);
        int n = rows.Length / hp.EmbeddingLength;
        using var h = b.Tensor(n, hp.EmbeddingLength, rows);
        using var normed = b.NewTensor(GgmlType.F32, n, hp.EmbeddingLength);
        using var logits = b.NewTensor(GgmlType.F32, n, hp.VocabularySize);
        b.RmsNorm(h, model.Weights.OutputNorm, hp.RmsNormEpsilon, normed);
        b.MatMul(model.Weights.Output, normed, logits);
        return b.ReadFloats(logits);
    }
}
