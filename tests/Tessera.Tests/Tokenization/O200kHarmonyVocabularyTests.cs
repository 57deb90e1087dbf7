// O200kHarmonyVocabulary against the counts of ggml-org's gpt-oss GGUF (gpt-oss-facts.md §2.1) and against
// Microsoft.ML.Tokenizers' o200k_base as an independent oracle.

using System.Text;
using Microsoft.ML.Tokenizers;
using Tessera.Chat.Harmony;
using Tessera.Tokenization;

namespace Tessera.Tests.Tokenization;

public class O200kHarmonyVocabularyTests
{
    private static readonly O200kHarmonyVocabulary s_vocab = O200kHarmonyVocabulary.Load();
    private static readonly Lazy<TiktokenTokenizer> s_oracle = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    [Fact]
    public void Counts_match_the_ggml_org_gguf()
    {
        Assert.Equal(201_088, s_vocab.Tokens.Count);
        Assert.Equal(201_088, s_vocab.TokenTypes.Count);
        Assert.Equal(446_189, s_vocab.Merges.Count);
    }

    [Fact]
    public void Load_is_cached() => Assert.Same(s_vocab, O200kHarmonyVocabulary.Load());

    [Fact]
    public void Special_and_padding_entries()
    {
        Assert.Equal("<|startoftext|>", s_vocab.Tokens[O200kHarmonyVocabulary.BosId]);
        Assert.Equal("<|endoftext|>", s_vocab.Tokens[O200kHarmonyVocabulary.PadId]);
        Assert.Equal("<|return|>", s_vocab.Tokens[O200kHarmonyVocabulary.EosId]);
        Assert.Equal("<|reserved_200000|>", s_vocab.Tokens[200000]);
        Assert.Equal("<|channel|>", s_vocab.Tokens[200005]);
        Assert.Equal("<|endofprompt|>", s_vocab.Tokens[200018]);
        Assert.Equal("[PAD200019]", s_vocab.Tokens[200019]);
        Assert.Equal("[PAD201087]", s_vocab.Tokens[201087]);

        for (int id = 0; id < s_vocab.Tokens.Count; id++)
        {
            var expected = id < HarmonyTokens.BaseTokenCount ? TokenType.Normal
                : id < HarmonyTokens.FirstPadding ? TokenType.Control
                : TokenType.Unused;
            Assert.Equal((int)expected, s_vocab.TokenTypes[id]);
        }
    }

    [Fact]
    public void Byte_level_alphabet()
    {
        Assert.Equal('Ġ', ByteLevel.ByteToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevel.ByteToChar((byte)'\n'));
        Assert.Equal('ĉ', ByteLevel.ByteToChar((byte)'\t'));
        Assert.Equal('\u0100', ByteLevel.ByteToChar(0x00));
        Assert.Equal('\u0143', ByteLevel.ByteToChar(0xAD));
        Assert.Equal('A', ByteLevel.ByteToChar((byte)'A'));
        Assert.Equal('ÿ', ByteLevel.ByteToChar(0xFF));

        var seen = new HashSet<char>();
        for (int b = 0; b < 256; b++)
        {
            char c = ByteLevel.ByteToChar((byte)b);
            Assert.True(seen.Add(c));
            Assert.Equal(b, ByteLevel.CharToByte(c));
        }
        Assert.Equal(-1, ByteLevel.CharToByte(' '));
        Assert.Equal(-1, ByteLevel.CharToByte('\u0144'));
        Assert.Throws<FormatException>(() => ByteLevel.Decode("a b"));
        Assert.Equal(Encoding.UTF8.GetBytes(" héllo\n"), ByteLevel.Decode(ByteLevel.Encode(Encoding.UTF8.GetBytes(" héllo\n"))));
    }

    [Theory]
    [InlineData(" the", "Ġthe")]
    [InlineData("hello", "hello")]
    [InlineData("\n\n", "ĊĊ")]
    [InlineData("    ", "ĠĠĠĠ")]
    [InlineData(" é", "ĠÃ©")]
    public void Spot_checks_against_tiktoken(string text, string expected)
    {
        var ids = s_oracle.Value.EncodeToIds(text);
        Assert.Single(ids);
        Assert.Equal(expected, s_vocab.Tokens[ids[0]]);
    }

    [Fact]
    public void Ordinary_tokens_decode_like_tiktoken()
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var oracle = s_oracle.Value;
        int checkedCount = 0;
        for (int id = 0; id < HarmonyTokens.BaseTokenCount; id++)
        {
            byte[] bytes = ByteLevel.Decode(s_vocab.Tokens[id]);
            string text;
            try { text = strict.GetString(bytes); }
            catch (DecoderFallbackException) { continue; }
            Assert.Equal(text, oracle.Decode([id]));
            checkedCount++;
        }
        Assert.True(checkedCount > 190_000, $"only {checkedCount} tokens are valid UTF-8");
    }

    [Fact]
    public void Merges_are_well_formed_and_ordered_by_result_rank()
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < HarmonyTokens.BaseTokenCount; id++)
            rank.Add(s_vocab.Tokens[id], id);

        Assert.Equal("Ġ Ġ", s_vocab.Merges[0]);
        int previous = -1;
        foreach (string merge in s_vocab.Merges)
        {
            int space = merge.IndexOf(' ');
            Assert.True(space > 0 && space == merge.LastIndexOf(' ') && space < merge.Length - 1, merge);
            string left = merge[..space], right = merge[(space + 1)..];
            Assert.True(rank.ContainsKey(left), merge);
            Assert.True(rank.ContainsKey(right), merge);
            Assert.True(rank.TryGetValue(left + right, out int result), merge);
            Assert.True(result >= previous, merge);
            previous = result;
        }
        Assert.Equal(s_vocab.Merges.Count, s_vocab.Merges.Distinct(StringComparer.Ordinal).Count());
    }
}
