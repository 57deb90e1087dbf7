// BpeTokenizer's fast paths against its reference merge loop (MergeLongPiece, shaped like llama.cpp's
// llm_tokenizer_bpe_session): the O(n²) short-piece rescan on random pieces of every length it takes, and the
// whole-token shortcut and piece cache on every token of the vocabulary and on random pieces; chunked fragments
// against whole ones.

using System.Text;
using Tessera.Tokenization;

namespace Tessera.Tests.Tokenization;

public class BpeTokenizerFastPathTests
{
    private static BpeTokenizer Tokenizer => BpeTokenizerTests.Tokenizer;

    public static TheoryData<string> PieceKinds => ["bytes", "ascii", "letters", "cjk", "tokens"];

    [Theory]
    [MemberData(nameof(PieceKinds))]
    public void Short_piece_merge_equals_the_reference_at_every_length(string kind)
    {
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        for (int length = 1; length <= BpeTokenizer.MaxShortPieceLength; length++)
        {
            for (int k = 0; k < 8; k++)
            {
                byte[] piece = RandomPiece(kind, length, random);
                Assert.Equal(Reference(piece), Short(piece));
            }
        }
    }

    [Fact]
    public void Every_token_encodes_as_the_reference_says_first_and_later_times()
    {
        for (int id = 0; id < Tokenizer.VocabularySize; id++)
        {
            if (Tokenizer.GetTokenType(id) != TokenType.Normal)
                continue;
            byte[] piece = Tokenizer.GetTokenBytes(id).ToArray();
            int[] expected = Reference(piece);
            Assert.Equal(expected, Piece(piece));   // decides whether the shortcut holds
            Assert.Equal(expected, Piece(piece));   // takes it, or the cache
        }
    }

    [Theory]
    [MemberData(nameof(PieceKinds))]
    public void Random_pieces_encode_as_the_reference_says_through_the_cache(string kind)
    {
        var random = new Random(1000 + (kind.GetHashCode(StringComparison.Ordinal) & 0xFFFF));
        var pieces = Enumerable.Range(0, 3000).Select(i => RandomPiece(kind, 1 + random.Next(i % 3 == 0 ? 200 : 24), random)).ToArray();
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (byte[] piece in pieces)
                Assert.Equal(Reference(piece), Piece(piece));
        }
    }

    [Fact]
    public void Fragments_encode_alike_in_chunks_of_any_size()
    {
        string[] parts = [.. BpeTokenizerTests.RoundTripCorpus.Select(row => (string)row.Data)];
        string[] joins = ["\n", "\r\n", "\n\n", " \n", "\n/", "\n'", "/\n", ".\n", "\n ", "\nx", "\n7", " "];
        var random = new Random(5);
        for (int k = 0; k < 50; k++)
        {
            var text = new StringBuilder();
            while (text.Length < 3000)
                text.Append(parts[random.Next(parts.Length)]).Append(joins[random.Next(joins.Length)]);
            var whole = new List<int>();
            Tokenizer.EncodeFragment(text.ToString(), whole, chunk: int.MaxValue);
            foreach (int chunk in (int[])[1, 7, 100, 1000])
            {
                var chunked = new List<int>();
                Tokenizer.EncodeFragment(text.ToString(), chunked, chunk);
                Assert.Equal(whole, chunked);
            }
        }
    }

    private static int[] Reference(byte[] piece)
    {
        var ids = new List<int>();
        Tokenizer.MergeLongPiece(piece, ids);
        return [.. ids];
    }

    private static int[] Short(byte[] piece)
    {
        var ids = new List<int>();
        Tokenizer.MergeShortPiece(piece, ids);
        return [.. ids];
    }

    private static int[] Piece(byte[] piece)
    {
        var ids = new List<int>();
        Tokenizer.EncodePiece(piece, ids);
        return [.. ids];
    }

    // Pieces need not be what the pre-tokenizer would cut: the merge loop takes any bytes.
    private static byte[] RandomPiece(string kind, int length, Random random)
    {
        var bytes = new List<byte>(length + 8);
        while (bytes.Count < length)
        {
            switch (kind)
            {
                case "bytes":
                    bytes.Add((byte)random.Next(256));
                    break;
                case "ascii":
                    bytes.Add((byte)random.Next(0x20, 0x7F));
                    break;
                case "letters":
                    bytes.Add(random.Next(6) == 0 ? (byte)' ' : (byte)"etaoinshrdlucmfwyp"[random.Next(18)]);
                    break;
                case "cjk":
                    bytes.AddRange(Encoding.UTF8.GetBytes(((char)random.Next(0x4E00, 0x4F00)).ToString()));
                    break;
                default:   // concatenated tokens, so long merges happen
                    bytes.AddRange(Tokenizer.GetTokenBytes(random.Next(1000, 199_998)).ToArray());
                    break;
            }
        }
        return bytes.Take(length).ToArray();
    }
}
