// Which reference the renderer follows where the GGUF's chat template and openai/harmony disagree.

namespace Tessera.Chat.Harmony;

/// <summary>Which renderer Tessera's output matches.</summary>
public enum HarmonyCompatibility
{
    /// <summary>
    /// The gpt-oss Jinja chat template in the GGUF, byte for byte, as llama.cpp and transformers render it:
    /// tool-call arguments and tool results JSON-encoded a second time (<c>|tojson</c>), only the first tool call of
    /// a message rendered, a tool result named after the last call.
    /// </summary>
    ChatTemplate,

    /// <summary>
    /// OpenAI's harmony library (openai/harmony, what vLLM uses): arguments and results as raw text, every tool call
    /// rendered, results named by their <c>tool_call_id</c>, tool schemas in harmony's TypeScript form, no blank lines
    /// after the developer instructions.
    /// </summary>
    OpenAIHarmony,
}
