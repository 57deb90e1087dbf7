// Our tokenizer against llama.cpp's (through LLamaSharp) on the same GGUF: identical ids on a broad corpus and on
// random strings, special tokens with parse_special on and off, and exact round trips.

using System.Text;
using LLama;
using Tessera.Gguf;
using Tessera.Tokenization;

namespace Tessera.Tests.Oracle;

public sealed class TokenizerVsLlamaCppTests : IClassFixture<TokenizerVsLlamaCppTests.Both>
{
    public sealed class Both : IDisposable
    {
        public Both()
        {
            using var file = GgufFile.Open(TestModels.Tiny);
            Ours = GgufTokenizer.Load(file);
            Theirs = LlamaCpp.Load(TestModels.Tiny, contextSize: 64);
        }

        public BpeTokenizer Ours { get; }
        public LLamaWeights Theirs { get; }
        public void Dispose() => Theirs.Dispose();
    }

    private readonly Both _both;

    public TokenizerVsLlamaCppTests(Both both) => _both = both;

    public static readonly string[] Corpus =
    [
        "", " ", "a", "Hello, world!", "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
        "Ça va? L'été à Noël, où est la forêt? Déjà vu, naïveté, cœur, garçon. ÉCOLE ÎLE",
        "我们今天去公园散步吧。天气很好，阳光明媚。", "日本語のテキストを正しく分割できますか？カタカナとひらがな、漢字。",
        "مرحبا بالعالم! كيف حالك اليوم؟ ١٢٣٤", "Привет, мир! Как дела?", "한국어 문장도 있습니다.", "नमस्ते दुनिया, यह हिंदी है।",
        "emoji 😀😃 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️‍🔥 🇫🇷🇯🇵", "keycaps 1️⃣ #️⃣ and ZWJ 🧑‍💻 🧑🏿‍🚀",
        "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
        "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; } // dot\r\n#include <stdio.h>",
        "{\"key\": [1, 2.5, -3e10, null, true], \"nested\": {\"a\": \"b\"}}",
        "          ten spaces", "tabs\t\t\tand\t\tmore", "\n\n\n\nnewlines\n\n", "mixed\r\nnewlines\rhere\n\r\n",
        "trailing spaces     ", "   \n   \n\t \n", "12345678901234567890", "3.14159 2,718 1e-9 0x1F 1_000_000 -42 +7",
        "I'm you're he's we've they'd she'll it's I'M YOU'RE", "don't DON'T Don'T",
        "<|start|>user<|message|>Hi there<|end|><|start|>assistant",
        "<|channel|>analysis<|message|>thinking...<|end|><|start|>assistant<|channel|>final<|message|>done<|return|>",
        "text <|endoftext|> more <|startoftext|> and <|reserved_200013|> and [PAD200100]",
        "<|not a token|> <| start |> <|start|", "lone surrogate \uD800 here and \uDC00 there", "mixed 中文 English 日本 العربية 123 😀",
        "https://example.com/path?q=1&r=2#frag user@example.org", "ÀB àb ÀÉÎ ǅungla", "combining e\u0301 a\u0300 n\u0303",
        "\u00A0non-breaking\u2003em space\u3000ideographic", "ﬁ ligature and ½ fraction and ² superscript",
        new string('a', 300), new string(' ', 100) + "x", string.Concat(Enumerable.Repeat("ab12 ", 50)),
    ];

    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        for (var i = 0; i < Corpus.Length; i++) { data.Add(i, true); data.Add(i, false); }
        return data;
    }

    private int[] Theirs(string text, bool parseSpecial) =>
        _both.Theirs.Tokenize(text, add_bos: false, special: parseSpecial, Encoding.UTF8).Select(t => (int)t).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameIdsAsLlamaCpp(int index, bool parseSpecial)
    {
        var text = Corpus[index];
        Assert.Equal(Theirs(text, parseSpecial), _both.Ours.Encode(text, parseSpecial));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeOfEncodeIsIdentity(int index, bool parseSpecial)
    {
        var text = Corpus[index];
        // A lone surrogate is not valid text; UTF-8 turns it into U+FFFD on the way in, as llama.cpp's callers do.
        var expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
        Assert.Equal(expected, _both.Ours.Decode(_both.Ours.Encode(text, parseSpecial)));
    }

    [Fact]
    public void RandomStringsTokenizeLikeLlamaCpp()
    {
        var rng = new Random(11);
        string[] alphabet = ["a", "b", "Z", "é", "É", "ß", "中", "語", "ア", "ع", "😀", "👍🏽", "\u200D", "\u0301", " ", "  ", "\t", "\n", "\r\n",
            "1", "23", "456", "'s", "'LL", ".", ",", "!?", "-", "_", "/", "\\", "\"", "<|start|>", "<|end|>", "<|return|>", "<|", "|>", "\u00A0", "٣", "Ⅻ"];
        var failures = new List<string>();
        for (var n = 0; n < 400; n++)
        {
            var text = string.Concat(Enumerable.Range(0, rng.Next(1, 30)).Select(_ => alphabet[rng.Next(alphabet.Length)]));
            var special = rng.Next(2) == 0;
            var ours = _both.Ours.Encode(text, special);
            var theirs = Theirs(text, special);
            if (!ours.SequenceEqual(theirs))
                failures.Add($"{System.Text.Json.JsonSerializer.Serialize(text)} special={special}: ours [{string.Join(",", ours)}] llama.cpp [{string.Join(",", theirs)}]");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void PiecesMatchLlamaCppDetokenizer()
    {
        var ids = _both.Ours.Encode(string.Join(" ", Corpus), parseSpecial: true);
        var decoder = new LLama.StreamingTokenDecoder(Encoding.UTF8, _both.Theirs);
        decoder.AddRange(ids.Select(i => (LLama.Native.LLamaToken)i));
        // llama.cpp leaves control tokens out unless asked (special = false), and always renders user-defined ones.
        Assert.Equal(decoder.Read(), _both.Ours.Decode(ids, renderSpecial: false));
    }
}
