// Token types as ggml stores them in `tokenizer.ggml.token_type` (llama.h llama_token_type, gguf-py TokenType).

namespace Tessera.Tokenization;

/// <summary>The type of a vocabulary entry, with the int32 values written to <c>tokenizer.ggml.token_type</c>.</summary>
public enum TokenType
{
    /// <summary>Undefined (0); not written by converters.</summary>
    Undefined = 0,

    /// <summary>An ordinary BPE token.</summary>
    Normal = 1,

    /// <summary>The unknown token.</summary>
    Unknown = 2,

    /// <summary>A special token, matched in text only when special tokens are parsed and not rendered on output.</summary>
    Control = 3,

    /// <summary>An added token, always matched in text and always rendered.</summary>
    UserDefined = 4,

    /// <summary>A padding slot that never occurs in text.</summary>
    Unused = 5,

    /// <summary>A byte-fallback token (<c>&lt;0xNN&gt;</c>, SentencePiece vocabularies).</summary>
    Byte = 6,
}
