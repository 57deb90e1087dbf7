// BpeTokenizer over the gpt-oss vocabulary: round trips, agreement with Microsoft.ML.Tokenizers' o200k_base on ASCII
// (where llama.cpp's gpt-4o split equals tiktoken's), special-token rules, streaming decode.

using System.Diagnostics;
using System.Text;
using TiktokenTokenizer = Microsoft.ML.Tokenizers.TiktokenTokenizer;
using Tessera.Chat.Harmony;
using Tessera.Tokenization;

namespace Tessera.Tests.Tokenization;

public class BpeTokenizerTests(ITestOutputHelper output)
{
    private static readonly Lazy<BpeTokenizer> s_tokenizer = new(() =>
    {
        var vocab = O200kHarmonyVocabulary.Load();
        return new BpeTokenizer(vocab.Tokens, vocab.TokenTypes, vocab.Merges, O200kHarmonyVocabulary.PreTokenizer);
    });
    private static readonly Lazy<TiktokenTokenizer> s_oracle = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    internal static BpeTokenizer Tokenizer => s_tokenizer.Value;

    public static readonly TheoryData<string> RoundTripCorpus =
    [
        "",
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog. I'll say it's DONE, you're right, we've WON'T.",
        "Élève, déjà vu, garçon, où est la bibliothèque ? « Très bien », dit-il.",
        "我们今天去公园散步，天气很好。",
        "日本語のテキスト：カタカナとひらがな、漢字も。",
        "مرحبا بالعالم، كيف حالك؟",
        "Emoji: 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ e\u0301 a\u0308",
        "public static int Main(string[] args) {\n\treturn args.Length > 0 ? 1 : 0; // comment\n}\n",
        "def f(x):\r\n    return x ** 2\r\n\r\n\n\n   \t  \n",
        "                                                                                end",
        "trailing spaces   ",
        "1234567890 3.14159 1,000,000 -42 0x1F 1e-5 ٣٤٥ ½",
        "<|start|>user<|message|>Hello<|end|><|start|>assistant<|channel|>final<|message|>Hi!<|return|>",
        "<|endoftext|> <|reserved_200000|> [PAD200019] <|constrain|>json<|call|>",
        "mixed\r\nnew\rlines\n\r end\u2028para\u2029graph\u00a0nbsp\u3000ideographic",
        "\u0000\u0001 control \u007f chars \u0085 next line",
        "URL: https://example.com/path//to?q=1&r=2#frag /// \n//\n",
    ];

    [Theory]
    [MemberData(nameof(RoundTripCorpus))]
    public void Decode_of_encode_is_the_input(string text)
    {
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text, parseSpecial: false)));
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text, parseSpecial: true)));
    }

    public static readonly TheoryData<string> AsciiCorpus =
    [
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "I'll say it's DONE, you're right; we've WON'T they'D I'M.",
        "HelloWorld JSONParser getHTTPResponseCode iPhone McDonald's XMLHttpRequest",
        "public static int Main(string[] args) {\n\treturn args.Length > 0 ? 1 : 0; // comment\n}\n",
        "def f(x):\r\n    return x ** 2\r\n\r\n\n\n   \t  \n",
        "    indented\n        more\n\n\n",
        "                                                                                end",
        "trailing spaces   ",
        "1234567890 3.14159 1,000,000 -42 0x1F 1e-5 12345678901234567890",
        "URL: https://example.com/path//to?q=1&r=2#frag /// \n//\n",
        "a/\nb\r\n/c --- *** ... !!! ??? (parens) [brackets] {braces} <angle> 'quote' \"dq\"",
        "tabs\tand\t\tmore\ttabs \t mixed \t\t ",
        "x=1;y=2;z=x+y*3/4-5%6^7|8&9~0",
        "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'x 'r",
        "\v\f vertical tab and form feed \f\v",
        "!@#$%^&*()_+-=`~[]\\{}|;':\",./<>?",
    ];

    [Theory]
    [MemberData(nameof(AsciiCorpus))]
    public void Ascii_matches_tiktoken(string text)
    {
        var expected = s_oracle.Value.EncodeToIds(text);
        Assert.Equal(expected, Tokenizer.Encode(text, parseSpecial: false));
    }

    [Fact]
    public void Long_ascii_document_matches_tiktoken()
    {
        var text = new StringBuilder();
        var random = new Random(1234);
        string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:'\"!?-_/()[]{}";
        for (int i = 0; i < 20_000; i++)
            text.Append(random.Next(4) == 0 ? ' ' : alphabet[random.Next(alphabet.Length)]);
        string s = text.ToString();
        Assert.Equal(s_oracle.Value.EncodeToIds(s), Tokenizer.Encode(s, parseSpecial: false));
    }

    [Fact]
    public void Long_words_match_tiktoken()
    {
        // One piece each, longer than the short-piece merge takes, so the heap merge runs.
        var random = new Random(77);
        for (int k = 0; k < 40; k++)
        {
            var word = new StringBuilder(" ");
            for (int i = random.Next(100, 400); i > 0; i--)
                word.Append("etaoinshrdlucmfwypvbgkjqxz"[random.Next(k % 2 == 0 ? 26 : 8)]);
            string s = word.ToString();
            Assert.Equal(s_oracle.Value.EncodeToIds(s), Tokenizer.Encode(s, parseSpecial: false));
        }
    }

    [Fact]
    public void Token_types_after_llama_cpp_load_fixes()
    {
        Assert.Equal(TokenType.Normal, Tokenizer.GetTokenType(0));
        Assert.Equal(TokenType.Control, Tokenizer.GetTokenType(HarmonyTokens.StartOfText));
        Assert.Equal(TokenType.Control, Tokenizer.GetTokenType(HarmonyTokens.EndOfText));
        Assert.Equal(TokenType.Control, Tokenizer.GetTokenType(HarmonyTokens.Return));
        Assert.Equal(TokenType.Control, Tokenizer.GetTokenType(HarmonyTokens.Call));
        Assert.Equal(TokenType.Control, Tokenizer.GetTokenType(200000));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(HarmonyTokens.Start));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(HarmonyTokens.Message));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(HarmonyTokens.Channel));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(HarmonyTokens.Constrain));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(HarmonyTokens.End));
        Assert.Equal(TokenType.Unused, Tokenizer.GetTokenType(HarmonyTokens.FirstPadding));
    }

    [Fact]
    public void User_defined_tokens_are_always_matched_control_tokens_only_with_parse_special()
    {
        int[] plain = Tokenizer.Encode("<|start|>user<|message|>Hi<|end|><|return|>", parseSpecial: false);
        Assert.Equal(HarmonyTokens.Start, plain[0]);
        Assert.Contains(HarmonyTokens.Message, plain);
        Assert.Contains(HarmonyTokens.End, plain);
        Assert.DoesNotContain(HarmonyTokens.Return, plain);
        Assert.Equal(Tokenizer.Encode("<|return|>", parseSpecial: false), plain[^Tokenizer.Encode("<|return|>", false).Length..]);

        int[] special = Tokenizer.Encode("<|start|>user<|message|>Hi<|end|><|return|>", parseSpecial: true);
        Assert.Equal(
            [HarmonyTokens.Start, .. Tokenizer.Encode("user", false), HarmonyTokens.Message, .. Tokenizer.Encode("Hi", false), HarmonyTokens.End, HarmonyTokens.Return],
            special);

        // Padding slots are never matched in text.
        Assert.DoesNotContain(HarmonyTokens.FirstPadding, Tokenizer.Encode("[PAD200019]", parseSpecial: true));
    }

    [Fact]
    public void Text_around_special_tokens_is_split_separately()
    {
        // A special token ends the fragment, so " world" after it is encoded as if it started the text.
        int[] ids = Tokenizer.Encode("hello<|end|> world", parseSpecial: false);
        Assert.Equal([.. Tokenizer.Encode("hello", false), HarmonyTokens.End, .. Tokenizer.Encode(" world", false)], ids);
    }

    [Fact]
    public void Decode_hides_control_tokens_unless_asked()
    {
        int[] ids = Tokenizer.Encode("<|start|>assistant<|message|>ok<|return|>", parseSpecial: true);
        Assert.Equal("<|start|>assistant<|message|>ok<|return|>", Tokenizer.Decode(ids));
        Assert.Equal("<|start|>assistant<|message|>ok", Tokenizer.Decode(ids, renderSpecial: false));
        Assert.Equal("", Tokenizer.Decode([HarmonyTokens.FirstPadding]));
    }

    [Theory]
    [MemberData(nameof(RoundTripCorpus))]
    public void Streaming_decode_equals_whole_decode_and_never_splits_a_character(string text)
    {
        int[] ids = Tokenizer.Encode(text, parseSpecial: true);
        var stream = Tokenizer.CreateStreamingDetokenizer();
        var result = new StringBuilder();
        foreach (int id in ids)
        {
            string piece = stream.Append(id);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "piece ends inside a surrogate pair");
            Assert.DoesNotContain('\uFFFD', piece);
            result.Append(piece);
        }
        result.Append(stream.Flush());
        Assert.Equal(text, result.ToString());
    }

    [Fact]
    public void Streaming_holds_partial_characters_and_flushes_replacement()
    {
        // "👍" is F0 9F 91 8D; the byte tokens are single-character tokens of the byte-level alphabet.
        Assert.True(Tokenizer.TryGetTokenId(ByteLevel.Encode([0xF0]), out int f0));
        Assert.True(Tokenizer.TryGetTokenId(ByteLevel.Encode([0x9F]), out int x9f));
        Assert.True(Tokenizer.TryGetTokenId(ByteLevel.Encode([0x91]), out int x91));
        Assert.True(Tokenizer.TryGetTokenId(ByteLevel.Encode([0x8D]), out int x8d));

        var stream = Tokenizer.CreateStreamingDetokenizer();
        Assert.Equal("", stream.Append(f0));
        Assert.Equal("", stream.Append(x9f));
        Assert.Equal("", stream.Append(x91));
        Assert.Equal("👍", stream.Append(x8d));
        Assert.Equal("", stream.Flush());

        Assert.Equal("", stream.Append(f0));
        Assert.Equal("\uFFFD", stream.Flush());
        Assert.Equal("a", stream.Append(Tokenizer.Encode("a", false)[0]));
    }

    [Fact]
    public void Encoding_is_thread_safe()
    {
        string[] corpus = [.. RoundTripCorpus.Select(row => (string)row.Data)];
        var expected = corpus.Select(t => Tokenizer.Encode(t, true)).ToArray();
        Parallel.For(0, 64, i =>
        {
            int k = i % corpus.Length;
            Assert.Equal(expected[k], Tokenizer.Encode(corpus[k], true));
        });
    }

    [Fact]
    public void Unsupported_pre_tokenizer_is_refused()
    {
        Assert.Throws<NotSupportedException>(() => new BpeTokenizer(["a"], [1], [], "llama3"));
    }

    [Fact(Explicit = true)]
    public void Throughput()
    {
        string sample = string.Concat(RoundTripCorpus.Select(row => (string)row.Data));
        var text = new StringBuilder();
        while (text.Length < 4 << 20)
            text.Append(sample).Append(' ').Append(text.Length);
        string s = text.ToString();
        double mb = Encoding.UTF8.GetByteCount(s) / 1e6;

        Tokenizer.Encode(s[..10_000], true);
        var clock = Stopwatch.StartNew();
        int[] ids = Tokenizer.Encode(s, parseSpecial: true);
        double encode = clock.Elapsed.TotalSeconds;
        clock.Restart();
        string back = Tokenizer.Decode(ids);
        double decode = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var oracle = s_oracle.Value.EncodeToIds(s);
        double ml = clock.Elapsed.TotalSeconds;

        Assert.Equal(s, back);
        output.WriteLine($"{mb:F1} MB, {ids.Length} tokens: encode {mb / encode:F1} MB/s, decode {mb / decode:F1} MB/s, Microsoft.ML.Tokenizers encode {mb / ml:F1} MB/s ({oracle.Count} tokens)");
    }
}
