// The gpt-oss vocabulary exactly as llama.cpp's converter writes it into a GGUF (gpt-oss-facts.md §2.1, §5):
// o200k_base ranks (from the Microsoft.ML.Tokenizers.Data.O200kBase resource) in the byte-level alphabet,
// the 21 harmony specials, [PAD{id}] up to 201 088; merges derived from the ranks as Hugging Face's
// TikTokenConverter.extract_vocab_merges_from_model does (the origin of openai/gpt-oss-20b's tokenizer.json).

using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using Tessera.Chat.Harmony;

namespace Tessera.Tokenization;

/// <summary>The o200k_harmony vocabulary in GGUF form: <c>tokenizer.ggml.tokens</c>, <c>token_type</c> and <c>merges</c>
/// as found in ggml-org's gpt-oss GGUF files, built from the o200k_base data without any model file.</summary>
public sealed class O200kHarmonyVocabulary
{
    /// <summary>Value of <c>tokenizer.ggml.model</c>.</summary>
    public const string TokenizerModel = "gpt2";

    /// <summary>Value of <c>tokenizer.ggml.pre</c>.</summary>
    public const string PreTokenizer = "gpt-4o";

    /// <summary><c>tokenizer.ggml.bos_token_id</c>: &lt;|startoftext|&gt;.</summary>
    public const int BosId = HarmonyTokens.StartOfText;

    /// <summary><c>tokenizer.ggml.eos_token_id</c>: &lt;|return|&gt;.</summary>
    public const int EosId = HarmonyTokens.Return;

    /// <summary><c>tokenizer.ggml.padding_token_id</c>: &lt;|endoftext|&gt;.</summary>
    public const int PadId = HarmonyTokens.EndOfText;

    private const string DataAssemblyName = "Microsoft.ML.Tokenizers.Data.O200kBase";
    private const string ResourceName = "o200k_base.tiktoken.deflate";

    private static readonly Lazy<O200kHarmonyVocabulary> s_instance = new(Build);

    private O200kHarmonyVocabulary(string[] tokens, int[] tokenTypes, string[] merges)
    {
        Tokens = tokens;
        TokenTypes = tokenTypes;
        Merges = merges;
    }

    /// <summary>201 088 token strings (byte-level alphabet for ordinary tokens), indexed by id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>201 088 <see cref="TokenType"/> values as int32: Normal, Control for the specials, Unused for padding.</summary>
    public IReadOnlyList<int> TokenTypes { get; }

    /// <summary>The BPE merges, "left right" in the byte-level alphabet; the index is the merge rank.</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>The vocabulary, built on first use (well under a second) and then shared.</summary>
    public static O200kHarmonyVocabulary Load() => s_instance.Value;

    private static O200kHarmonyVocabulary Build()
    {
        string[] tokens = new string[HarmonyTokens.VocabularySize];
        int[] types = new int[HarmonyTokens.VocabularySize];
        ReadBaseTokens(tokens);

        for (int id = HarmonyTokens.BaseTokenCount; id < HarmonyTokens.FirstPadding; id++)
        {
            tokens[id] = HarmonyTokens.SpecialText(id)!;
            types[id] = (int)TokenType.Control;   // added + special, and looks special: get_vocab_base → CONTROL
        }
        for (int id = HarmonyTokens.FirstPadding; id < HarmonyTokens.VocabularySize; id++)
        {
            tokens[id] = $"[PAD{id}]";
            types[id] = (int)TokenType.Unused;    // id absent from tokenizer.json → [PAD{id}], UNUSED
        }
        Array.Fill(types, (int)TokenType.Normal, 0, HarmonyTokens.BaseTokenCount);

        return new O200kHarmonyVocabulary(tokens, types, DeriveMerges(tokens));
    }

    // Fills tokens[0 .. 199997] from the package's tiktoken text: an optional "Capacity: N" line, then one token per
    // line, "base64(bytes)" (rank = line number) or "base64(bytes) rank" as in OpenAI's .tiktoken files.
    private static void ReadBaseTokens(string[] tokens)
    {
        // The package's only type is internal, so the assembly is found by name (it ships beside Tessera.dll).
        Assembly data = Assembly.Load(new AssemblyName(DataAssemblyName));
        using Stream compressed = data.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Resource '{ResourceName}' is missing from {data.GetName().Name}.");
        using var deflate = new DeflateStream(compressed, CompressionMode.Decompress);
        using var text = new MemoryStream(4 << 20);
        deflate.CopyTo(text);
        ReadOnlySpan<byte> rest = text.GetBuffer().AsSpan(0, (int)text.Length);

        Span<byte> bytes = stackalloc byte[256];
        int count = 0;
        while (!rest.IsEmpty)
        {
            int eol = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = eol < 0 ? rest : rest[..eol];
            rest = eol < 0 ? default : rest[(eol + 1)..];
            line = line.TrimEnd((byte)'\r');
            if (line.IsEmpty || (count == 0 && line.StartsWith("Capacity:"u8)))
                continue;

            int space = line.IndexOf((byte)' ');
            ReadOnlySpan<byte> base64 = space < 0 ? line : line[..space];
            int rank = count;
            bool ok = Base64.DecodeFromUtf8(base64, bytes, out _, out int length) == OperationStatus.Done && length > 0;
            if (ok && space >= 0)
                ok = Utf8Parser.TryParse(line[(space + 1)..], out rank, out int used) && used == line.Length - space - 1;
            if (!ok || (uint)rank >= HarmonyTokens.BaseTokenCount || tokens[rank] is not null)
                throw new InvalidDataException($"Bad o200k_base entry {count}: '{Encoding.ASCII.GetString(line)}'.");
            tokens[rank] = ByteLevel.Encode(bytes[..length]);
            count++;
        }
        if (count != HarmonyTokens.BaseTokenCount)
            throw new InvalidDataException($"o200k_base has {count} tokens, expected {HarmonyTokens.BaseTokenCount}.");
    }

    // transformers' TikTokenConverter: for each token in rank order, every split (left, right) with both halves in
    // the vocabulary is a merge; a token's merges are ordered by (rank of left, rank of right); all merges then stably
    // by the token's rank, which the rank-order walk already gives. Only ordinary tokens take part.
    private static string[] DeriveMerges(string[] tokens)
    {
        var rankOf = new Dictionary<string, int>(HarmonyTokens.BaseTokenCount, StringComparer.Ordinal);
        for (int id = 0; id < HarmonyTokens.BaseTokenCount; id++)
            rankOf.Add(tokens[id], id);
        var lookup = rankOf.GetAlternateLookup<ReadOnlySpan<char>>();

        var merges = new List<string>(450_000);
        Span<long> local = stackalloc long[128];   // (rank of left << 32 | rank of right) per split
        Span<int> splitAt = stackalloc int[128];
        for (int id = 0; id < HarmonyTokens.BaseTokenCount; id++)
        {
            string token = tokens[id];
            if (token.Length > local.Length + 1)
                throw new InvalidDataException($"Token {id} is longer than {local.Length + 1} bytes.");
            int n = 0;
            for (int i = 1; i < token.Length; i++)
            {
                if (lookup.TryGetValue(token.AsSpan(0, i), out int left) && lookup.TryGetValue(token.AsSpan(i), out int right))
                {
                    local[n] = (long)left << 32 | (uint)right;
                    splitAt[n] = i;
                    n++;
                }
            }
            local[..n].Sort(splitAt[..n]);
            for (int k = 0; k < n; k++)
            {
                int i = splitAt[k];
                merges.Add(string.Concat(token.AsSpan(0, i), " ", token.AsSpan(i)));
            }
        }
        return merges.ToArray();
    }
}
