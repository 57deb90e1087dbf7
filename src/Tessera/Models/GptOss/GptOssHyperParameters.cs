// gpt-oss hyperparameters as the GGUF carries them (gpt-oss-facts.md §1, §2.1), with the published shapes as presets
// and a reader that takes every value from the file, never from constants.

using Tessera.Gguf;

namespace Tessera.Models.GptOss;

/// <summary>Hyperparameters of a gpt-oss model (architecture string <c>gpt-oss</c>).</summary>
public sealed record GptOssHyperParameters
{
    public const string ArchitectureName = "gpt-oss";

    public int BlockCount { get; init; }
    public int ContextLength { get; init; }
    public int EmbeddingLength { get; init; }
    public int FeedForwardLength { get; init; }
    public int HeadCount { get; init; }
    public int HeadCountKv { get; init; }
    public int KeyLength { get; init; }
    public int ValueLength { get; init; }
    public int ExpertCount { get; init; }
    public int ExpertUsedCount { get; init; }
    public int ExpertFeedForwardLength { get; init; }
    public float RmsNormEpsilon { get; init; } = 1e-5f;
    public float RopeFreqBase { get; init; } = 150000f;
    public float RopeScalingFactor { get; init; } = 32f;
    public int RopeOriginalContextLength { get; init; } = 4096;
    public int SlidingWindow { get; init; } = 128;
    public int VocabularySize { get; init; } = Chat.Harmony.HarmonyTokens.VocabularySize;

    /// <summary>gpt-oss-20b: 24 layers, 32 experts.</summary>
    public static GptOssHyperParameters Gpt20b { get; } = new()
    {
        BlockCount = 24, ContextLength = 131072, EmbeddingLength = 2880, FeedForwardLength = 2880,
        HeadCount = 64, HeadCountKv = 8, KeyLength = 64, ValueLength = 64,
        ExpertCount = 32, ExpertUsedCount = 4, ExpertFeedForwardLength = 2880,
    };

    /// <summary>gpt-oss-120b: 36 layers, 128 experts.</summary>
    public static GptOssHyperParameters Gpt120b { get; } = Gpt20b with { BlockCount = 36, ExpertCount = 128 };

    /// <summary>A few MB of weights beside the real vocabulary: for tests.</summary>
    public static GptOssHyperParameters Tiny { get; } = new()
    {
        BlockCount = 2, ContextLength = 4096, EmbeddingLength = 64, FeedForwardLength = 64,
        HeadCount = 4, HeadCountKv = 2, KeyLength = 16, ValueLength = 16,
        ExpertCount = 4, ExpertUsedCount = 2, ExpertFeedForwardLength = 64,
    };

    /// <summary>Between tiny and 20b: more layers, heads and experts, still quick on a CPU.</summary>
    public static GptOssHyperParameters Small { get; } = new()
    {
        BlockCount = 4, ContextLength = 8192, EmbeddingLength = 256, FeedForwardLength = 256,
        HeadCount = 8, HeadCountKv = 2, KeyLength = 32, ValueLength = 32,
        ExpertCount = 8, ExpertUsedCount = 4, ExpertFeedForwardLength = 128,
    };

    /// <summary>Named presets for <c>make-test-model --preset</c>.</summary>
    public static IReadOnlyDictionary<string, GptOssHyperParameters> Presets { get; } =
        new Dictionary<string, GptOssHyperParameters>(StringComparer.OrdinalIgnoreCase)
        {
            ["tiny"] = Tiny, ["small"] = Small, ["gpt-oss-20b"] = Gpt20b, ["gpt-oss-120b"] = Gpt120b,
        };

    /// <summary>Whether layer <paramref name="layer"/> uses the sliding window (even layers; facts §1).</summary>
    public static bool IsSlidingWindowLayer(int layer) => layer % 2 == 0;

    /// <summary>Checks the shape is one the format and the forward pass can hold; throws ArgumentException otherwise.</summary>
    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new ArgumentException($"gpt-oss hyperparameters: {what}"); }
        Require(BlockCount >= 1, $"block_count must be at least 1 (got {BlockCount})");
        Require(EmbeddingLength >= 32 && EmbeddingLength % 32 == 0, $"embedding_length must be a positive multiple of 32 (got {EmbeddingLength})");
        Require(ExpertFeedForwardLength >= 32 && ExpertFeedForwardLength % 32 == 0, $"expert_feed_forward_length must be a positive multiple of 32 (got {ExpertFeedForwardLength})");
        Require(HeadCountKv >= 1 && HeadCount >= HeadCountKv && HeadCount % HeadCountKv == 0, $"head_count ({HeadCount}) must be a multiple of head_count_kv ({HeadCountKv})");
        Require(KeyLength >= 2 && KeyLength % 2 == 0 && KeyLength == ValueLength, $"key_length and value_length must be equal and even (got {KeyLength}, {ValueLength})");
        Require(HeadCount * KeyLength % 32 == 0, $"head_count × key_length ({HeadCount * KeyLength}) must be a multiple of 32");
        Require(ExpertCount >= 1 && ExpertUsedCount >= 1 && ExpertUsedCount <= ExpertCount, $"expert_used_count ({ExpertUsedCount}) must be within 1..expert_count ({ExpertCount})");
        Require(ContextLength >= 1 && SlidingWindow >= 1, "context_length and sliding_window must be positive");
        Require(VocabularySize >= 1, "the vocabulary must not be empty");
    }

    /// <summary>The <c>gpt-oss.*</c> metadata entries, in the order llama.cpp's converter writes them.</summary>
    public IEnumerable<(string Key, GgufValue Value)> ToMetadata()
    {
        string K(string suffix) => GgufKeys.Arch(ArchitectureName, suffix);
        yield return (K(GgufKeys.BlockCount), GgufValue.From((uint)BlockCount));
        yield return (K(GgufKeys.ContextLength), GgufValue.From((uint)ContextLength));
        yield return (K(GgufKeys.EmbeddingLength), GgufValue.From((uint)EmbeddingLength));
        yield return (K(GgufKeys.FeedForwardLength), GgufValue.From((uint)FeedForwardLength));
        yield return (K(GgufKeys.HeadCount), GgufValue.From((uint)HeadCount));
        yield return (K(GgufKeys.HeadCountKv), GgufValue.From((uint)HeadCountKv));
        yield return (K(GgufKeys.RopeFreqBase), GgufValue.From(RopeFreqBase));
        yield return (K(GgufKeys.LayerNormRmsEpsilon), GgufValue.From(RmsNormEpsilon));
        yield return (K(GgufKeys.ExpertCount), GgufValue.From((uint)ExpertCount));
        yield return (K(GgufKeys.ExpertUsedCount), GgufValue.From((uint)ExpertUsedCount));
        yield return (K(GgufKeys.KeyLength), GgufValue.From((uint)KeyLength));
        yield return (K(GgufKeys.ValueLength), GgufValue.From((uint)ValueLength));
        yield return (K(GgufKeys.SlidingWindow), GgufValue.From((uint)SlidingWindow));
        yield return (K(GgufKeys.ExpertFeedForwardLength), GgufValue.From((uint)ExpertFeedForwardLength));
        yield return (K(GgufKeys.RopeScalingType), GgufValue.From("yarn"));
        yield return (K(GgufKeys.RopeScalingFactor), GgufValue.From(RopeScalingFactor));
        yield return (K(GgufKeys.RopeScalingOriginalContextLength), GgufValue.From((uint)RopeOriginalContextLength));
    }

    /// <summary>Reads the hyperparameters of a gpt-oss GGUF; a missing required key or a wrong type is a GgufFormatException.</summary>
    public static GptOssHyperParameters FromGguf(GgufFile file)
    {
        var arch = file[GgufKeys.Architecture]?.AsString();
        if (arch != ArchitectureName)
            throw new GgufFormatException(GgufKeys.Architecture, -1, $"expected \"{ArchitectureName}\", found {(arch is null ? "no architecture" : $"\"{arch}\"")}");

        GgufValue Get(string suffix)
        {
            var key = GgufKeys.Arch(ArchitectureName, suffix);
            return file[key] ?? throw new GgufFormatException($"kv[\"{key}\"]", -1, "required key is missing");
        }
        int Int(string suffix, int? fallback = null)
        {
            var key = GgufKeys.Arch(ArchitectureName, suffix);
            if (file[key] is not { } v)
                return fallback ?? throw new GgufFormatException($"kv[\"{key}\"]", -1, "required key is missing");
            try { return checked((int)v.AsInt64()); }
            catch (Exception e) when (e is InvalidOperationException or OverflowException)
            { throw new GgufFormatException($"kv[\"{key}\"]", -1, $"expected an integer that fits 32 bits, found {v.Describe()} {v}"); }
        }
        float Float(string suffix, float? fallback = null)
        {
            var key = GgufKeys.Arch(ArchitectureName, suffix);
            if (file[key] is not { } v)
                return fallback ?? throw new GgufFormatException($"kv[\"{key}\"]", -1, "required key is missing");
            try { return (float)v.AsDouble(); }
            catch (InvalidOperationException) { throw new GgufFormatException($"kv[\"{key}\"]", -1, $"expected a number, found {v.Describe()}"); }
        }

        var tokens = file[GgufKeys.TokenizerTokens];
        var keyLength = Int(GgufKeys.KeyLength);
        _ = Get(GgufKeys.LayerNormRmsEpsilon);
        var hp = new GptOssHyperParameters
        {
            BlockCount = Int(GgufKeys.BlockCount),
            ContextLength = Int(GgufKeys.ContextLength),
            EmbeddingLength = Int(GgufKeys.EmbeddingLength),
            FeedForwardLength = Int(GgufKeys.FeedForwardLength, 0),
            HeadCount = Int(GgufKeys.HeadCount),
            HeadCountKv = Int(GgufKeys.HeadCountKv),
            KeyLength = keyLength,
            ValueLength = Int(GgufKeys.ValueLength, keyLength),
            ExpertCount = Int(GgufKeys.ExpertCount),
            ExpertUsedCount = Int(GgufKeys.ExpertUsedCount),
            ExpertFeedForwardLength = Int(GgufKeys.ExpertFeedForwardLength),
            RmsNormEpsilon = Float(GgufKeys.LayerNormRmsEpsilon),
            RopeFreqBase = Float(GgufKeys.RopeFreqBase, 10000f),
            RopeScalingFactor = Float(GgufKeys.RopeScalingFactor, 1f),
            RopeOriginalContextLength = Int(GgufKeys.RopeScalingOriginalContextLength, 0),
            SlidingWindow = Int(GgufKeys.SlidingWindow),
            VocabularySize = tokens?.Count ?? (int)(file.FindTensor(GptOssTensorNames.TokenEmbedding)?.Dimensions.ElementAtOrDefault(1) ?? 0),
        };
        try { hp.Validate(); }
        catch (ArgumentException e) { throw new GgufFormatException("gpt-oss hyperparameters", -1, e.Message); }
        return hp;
    }
}
