// The message header of the harmony output parser: held while it can still be a header, parsed at <|message|>.
// Grammar (openai/harmony docs/format.md): [role] [to=RECIPIENT] [<|channel|>CHANNEL [to=RECIPIENT]]
// [[<|constrain|>]CONTENT-TYPE] <|message|>. Role and content type do not change where the body goes, so they are skipped.

using System.Text;
using static Tessera.Chat.Harmony.HarmonyTokens;

namespace Tessera.Chat.Harmony;

public sealed partial class HarmonyParser
{
    private const int MaxHeaderLength = 256;
    private const int MaxHeaderWords = 8;

    // Without <|start|> (the turn's first message, or text after <|end|>) the role is already known: before the first
    // header token there may only be the role repeated and a recipient (" to=functions.f"); anything else is plain text.
    private const int MaxLeadingWords = 2;

    // Runs of ordinary text are merged, so a word never spans two text parts.
    private readonly List<HeaderPart> _header = [];
    private bool _headerExplicit;

    private readonly record struct HeaderPart(int SpecialId, string Text)
    {
        public bool IsSpecial => SpecialId != 0;
    }

    // opening: the special token that opens the header (<|start|> or <|channel|>), or 0.
    private void BeginHeader(int opening)
    {
        ClearHeader();
        _inBody = false;
        _headerExplicit = opening == Start;
        if (opening != 0)
            AppendHeaderSpecial(opening);
    }

    private void ClearHeader()
    {
        _header.Clear();
        _headerExplicit = false;
    }

    private void AppendHeaderSpecial(int id) => _header.Add(new HeaderPart(id, SpecialText(id)!));

    private void AppendHeaderText(string text)
    {
        if (_header.Count > 0 && !_header[^1].IsSpecial)
            _header[^1] = _header[^1] with { Text = _header[^1].Text + text };
        else
            _header.Add(new HeaderPart(0, text));
    }

    private string HeaderText()
    {
        var text = new StringBuilder();
        foreach (var part in _header)
            text.Append(part.Text);
        return text.ToString();
    }

    // An implicit header of nothing but words is as likely to be the start of plain text ("to", "as") as a header:
    // when it is cut short, it is kept as content. Blank text between messages is dropped.
    private bool HeaderHoldsText() =>
        !_headerExplicit && _header.Count == 1 && !_header[0].IsSpecial && !string.IsNullOrWhiteSpace(_header[0].Text);

    // True while the held text can still become a header. Once false, it stays false whatever follows, so the outcome
    // does not depend on how the text was split into tokens.
    private bool HeaderIsPlausible()
    {
        int length = 0, words = 0;
        bool sawSpecial = false;
        foreach (var part in _header)
        {
            length += part.Text.Length;
            if (part.IsSpecial)
            {
                sawSpecial = true;
                continue;
            }
            bool leading = !_headerExplicit && !sawSpecial;
            var text = part.Text.AsSpan();
            for (int i = 0; i < text.Length;)
            {
                char c = text[i];
                if (c is ' ' or '\t' || (c is '\n' or '\r' && leading && words == 0))
                {
                    i++;
                    continue;
                }
                int start = i;
                while (i < text.Length && text[i] is not (' ' or '\t' or '\n' or '\r'))
                {
                    if (!IsHeaderChar(text[i]))
                        return false;
                    i++;
                }
                if (i == start)
                    return false; // a line break inside a header
                words++;
                if (leading && (words > MaxLeadingWords || !IsLeadingWord(text[start..i])))
                    return false;
            }
        }
        return length <= MaxHeaderLength && words <= MaxHeaderWords;
    }

    private static bool IsHeaderChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '=' or ':' or '/' or '@';

    // A word so far that can still become the role "assistant" or a recipient "to=…".
    private static bool IsLeadingWord(ReadOnlySpan<char> word) =>
        "assistant".AsSpan().StartsWith(word) || "to=".AsSpan().StartsWith(word) || word.StartsWith("to=");

    private (string? Channel, string? Recipient) ParseHeader()
    {
        string? channel = null, recipient = null;
        int after = 0; // the header token the next word belongs to
        foreach (var part in _header)
        {
            if (part.IsSpecial)
            {
                after = part.SpecialId;
                continue;
            }
            foreach (var word in part.Text.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (word.StartsWith("to=", StringComparison.Ordinal))
                {
                    if (word.Length > 3 && !IsRole(word[3..]))
                        recipient ??= word[3..];
                }
                else if (after == Channel)
                {
                    channel = word;
                }
                after = 0;
            }
        }
        return (channel, recipient);
    }

    // "to=assistant" addresses no tool; gpt-oss-20b writes it in stray commentary headers (llama.cpp's gpt-oss parser).
    private static bool IsRole(string name) => name is "assistant" or "user" or "system" or "developer";
}
