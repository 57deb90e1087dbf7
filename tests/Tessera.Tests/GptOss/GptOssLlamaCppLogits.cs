// llama.cpp's side of the logits comparisons: tokenizes with llama.cpp's own tokenizer and evaluates a prompt as one
// LLamaBatch on the CPU with logits requested for every token (F16 KV cache, flash attention "auto", AVX2 build).
// llama.cpp splits the batch into micro-batches of n_ubatch tokens, and its CPU flash attention takes one of two code
// paths with different rounding: the one-chunk path below 64 query rows (F16 value accumulator) and a tiled path from 64
// rows on (F32 accumulator, SIMD exp). Tessera reproduces the one-chunk path, so the comparisons use n_ubatch = 32; on
// these small random models the two llama.cpp paths differ from each other by 3-15% relative RMS (see the test output).

using System.Text;
using LLama.Native;
using Tessera.Tests.Oracle;

namespace Tessera.Tests.GptOss;

internal static class GptOssLlamaCppLogits
{
    /// <summary>A long English paragraph: about 250 tokens, enough to cross the 128-token sliding window.</summary>
    public const string Paragraph =
        "The lighthouse keeper had kept a journal for forty-one years, and every entry began the same way: the date, the " +
        "direction of the wind, and the colour of the sea at dawn. Most days the sea was grey, sometimes green, and once, " +
        "after a storm that tore the roof off the boathouse, it was the brown of strong tea. He wrote in pencil because ink " +
        "froze in winter, and he numbered the pages by hand because the printed numbers had worn away. When the coast guard " +
        "finally replaced the lamp with an automatic beacon, they offered him a small flat in town, a pension, and a " +
        "certificate with a gold seal. He accepted the pension, declined the flat, and used the certificate to level the " +
        "kitchen table. Visitors asked what he did all day now that the light ran itself. He told them he listened: to the " +
        "gulls arguing over scraps, to the bell buoy two miles out, to the slow tick of the barometer in the hall. On clear " +
        "nights he still climbed the one hundred and twelve steps to the gallery, not to tend anything, but to watch the " +
        "ships pass and guess where they were going. Rotterdam, he would say, or Lisbon, or somewhere colder. He was right " +
        "more often than anyone believed, and he kept score in the back of the journal, in columns headed hits and misses, " +
        "with a note at the bottom of each page reminding himself that the sea keeps its own accounts.";

    /// <summary>Token ids of <paramref name="text"/> as llama.cpp tokenizes it (no BOS, no special tokens).</summary>
    public static int[] Tokenize(string modelPath, string text)
    {
        using var weights = LlamaCpp.Load(modelPath);
        return weights.Tokenize(text, add_bos: false, special: false, Encoding.UTF8).Select(t => (int)t).ToArray();
    }

    /// <summary>n_ubatch that keeps llama.cpp on its one-chunk flash-attention path.</summary>
    public const uint OneChunkMicroBatch = 32;

    /// <summary>Runs <paramref name="tokens"/> from position 0 in micro-batches of <paramref name="ubatch"/> and hands the
    /// logits of each position to <paramref name="row"/>.</summary>
    public static void ForEachPosition(string modelPath, int[] tokens, Action<int, ReadOnlySpan<float>> row, uint ubatch = OneChunkMicroBatch)
    {
        var contextSize = (uint)Math.Max(512, tokens.Length);
        using var weights = LlamaCpp.Load(modelPath, contextSize);
        var parameters = LlamaCpp.Params(modelPath, contextSize);
        parameters.BatchSize = contextSize;
        parameters.UBatchSize = ubatch;
        // A full-size sliding-window cache keeps cells in position order, as Tessera's cache does for a prompt that fits.
        parameters.SwaFull = true;
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, true);
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
        for (var i = 0; i < tokens.Length; i++) row(i, context.NativeHandle.GetLogitsIth(i));
    }
}
