// The special tokens of o200k_harmony: ids and texts (gpt-oss-facts.md §5, openai/harmony public_encodings.rs).

namespace Tessera.Chat.Harmony;

/// <summary>Ids and texts of the harmony special tokens.</summary>
public static class HarmonyTokens
{
    public const int StartOfText = 199998;   // <|startoftext|>, BOS (never prepended for gpt-oss)
    public const int EndOfText = 199999;     // <|endoftext|>, padding
    public const int Return = 200002;        // <|return|>, end of a final answer (EOS)
    public const int Constrain = 200003;     // <|constrain|>
    public const int Channel = 200005;       // <|channel|>
    public const int Start = 200006;         // <|start|>
    public const int End = 200007;           // <|end|>, end of a message (not a stop token)
    public const int Message = 200008;       // <|message|>
    public const int Call = 200012;          // <|call|>, end of a tool call
    public const int EndOfPrompt = 200018;   // <|endofprompt|>

    /// <summary>Number of ordinary (byte-level BPE) tokens: ids 0 .. 199997.</summary>
    public const int BaseTokenCount = 199998;

    /// <summary>Vocabulary size of the gpt-oss GGUF, padding included.</summary>
    public const int VocabularySize = 201088;

    /// <summary>First id of the padding range 200019 .. 201087, written as <c>[PAD{id}]</c>.</summary>
    public const int FirstPadding = 200019;

    /// <summary>Text of special token <paramref name="id"/> (199998 .. 200018), or null for any other id.</summary>
    public static string? SpecialText(int id) => id switch
    {
        StartOfText => "<|startoftext|>",
        EndOfText => "<|endoftext|>",
        Return => "<|return|>",
        Constrain => "<|constrain|>",
        Channel => "<|channel|>",
        Start => "<|start|>",
        End => "<|end|>",
        Message => "<|message|>",
        Call => "<|call|>",
        EndOfPrompt => "<|endofprompt|>",
        >= 200000 and <= 200018 => $"<|reserved_{id}|>",
        _ => null,
    };
}
