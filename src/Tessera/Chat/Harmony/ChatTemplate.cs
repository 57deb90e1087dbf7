// The gpt-oss chat template (Jinja) as shipped in the model's GGUF (`tokenizer.chat_template`), embedded in the library
// so that nothing reads ../shared at run time. Source: models/templates/openai-gpt-oss-120b.jinja in llama.cpp.

namespace Tessera.Chat.Harmony;

/// <summary>The gpt-oss chat template text.</summary>
public static class ChatTemplate
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(ChatTemplate).Assembly.GetManifestResourceStream("Tessera.gpt-oss-chat-template.jinja")
            ?? throw new InvalidOperationException("the gpt-oss chat template resource is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The exact template text of gpt-oss-20b/120b.</summary>
    public static string GptOss => Text.Value;
}
