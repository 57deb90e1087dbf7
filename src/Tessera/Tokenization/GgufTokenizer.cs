// Builds the tokenizer a GGUF file describes (tokenizer.ggml.* keys; gpt-oss-facts.md §5). Only byte-level BPE
// (`gpt2`) is supported; anything else is refused with a message naming what the file asks for.

using Tessera.Gguf;

namespace Tessera.Tokenization;

/// <summary>Loads a <see cref="BpeTokenizer"/> from GGUF metadata.</summary>
public static class GgufTokenizer
{
    /// <summary>The tokenizer of <paramref name="file"/>. Throws <see cref="GgufFormatException"/> when the keys are missing
    /// or malformed, <see cref="NotSupportedException"/> for tokenizer models other than gpt2.</summary>
    public static BpeTokenizer Load(GgufFile file)
    {
        var model = Get(file, GgufKeys.TokenizerModel).Raw as string
            ?? throw Bad(GgufKeys.TokenizerModel, "must be a string");
        if (model != "gpt2")
            throw new NotSupportedException($"tokenizer model \"{model}\" is not supported (Tessera reads byte-level BPE, \"gpt2\")");
        var pre = file[GgufKeys.TokenizerPre]?.Raw as string ?? "default";
        var tokens = Get(file, GgufKeys.TokenizerTokens).Raw as string[] ?? throw Bad(GgufKeys.TokenizerTokens, "must be an array of strings");
        var merges = Get(file, GgufKeys.TokenizerMerges).Raw as string[] ?? throw Bad(GgufKeys.TokenizerMerges, "must be an array of strings");
        int[] types;
        if (file[GgufKeys.TokenizerTokenType] is { } t)
        {
            types = t.Raw as int[] ?? throw Bad(GgufKeys.TokenizerTokenType, "must be an array of i32");
            if (types.Length != tokens.Length)
                throw Bad(GgufKeys.TokenizerTokenType, $"has {types.Length} entries for {tokens.Length} tokens");
        }
        else
        {
            types = new int[tokens.Length];
            Array.Fill(types, (int)TokenType.Normal);
        }
        try { return new BpeTokenizer(tokens, types, merges, pre); }
        catch (ArgumentException e) { throw Bad("tokenizer.ggml", e.Message); }
    }

    private static GgufValue Get(GgufFile file, string key) => file[key] ?? throw Bad(key, "required key is missing");

    private static GgufFormatException Bad(string key, string problem) => new($"kv[\"{key}\"]", -1, problem);
}
