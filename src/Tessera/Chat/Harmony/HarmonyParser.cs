// Streaming parser for gpt-oss output in harmony format: generated tokens in, reasoning / content / tool-call events out.
// Header grammar after openai/harmony's StreamableParser (src/encoding.rs); what users see after llama.cpp's gpt-oss
// parser (common/parsers/gpt-oss.cpp): commentary preambles are content, as OpenAI's docs/format.md says they are
// meant for the user. Unlike both it never fails: text that does not parse as harmony comes out as content.
// gpt-oss-facts.md §5 (token ids) and §6 (what the model emits after `<|start|>assistant`).

using System.Security.Cryptography;
using static Tessera.Chat.Harmony.HarmonyTokens;

namespace Tessera.Chat.Harmony;

/// <summary>
/// Turns the tokens gpt-oss generates after <c>&lt;|start|&gt;assistant</c> into <see cref="HarmonyEvent"/>s, one token
/// at a time. Body text is reported as soon as it arrives; header text is held only while it can still be a header.
/// </summary>
/// <remarks>
/// <para>Routing of a message body: a recipient <c>functions.NAME</c> makes it a tool call (whatever the channel); any
/// other recipient except a role (<c>to=assistant</c>) is a built-in tool (<c>python</c>, <c>browser.search</c>) and
/// goes to reasoning; channel <c>analysis</c> is reasoning; <c>final</c>, <c>commentary</c> (the user-visible preamble),
/// no channel and unknown channels are content. When a header names several channels, the last one counts (gpt-oss-20b
/// sometimes writes <c>&lt;|channel|&gt;commentary to=assistant&lt;|channel|&gt;analysis</c>).</para>
/// <para>Recovery, so that no generated text is lost: text that cannot be a header (a character other than letters,
/// digits, <c>_.-=:/@</c> and blanks, a line break, more than 8 words or 256 characters, or, before the first header
/// token of a message that did not begin with <c>&lt;|start|&gt;</c>, a word other than a prefix of <c>assistant</c> or
/// <c>to=…</c>) comes out as content, header tokens included. <c>&lt;|start|&gt;</c> or <c>&lt;|channel|&gt;</c> inside a
/// body ends that message and begins the next. Other special tokens (reserved, padding, a misplaced
/// <c>&lt;|message|&gt;</c> or <c>&lt;|constrain|&gt;</c>) carry no text and are dropped. A header cut short is dropped.</para>
/// <para>Not thread-safe; use one parser per generated turn.</para>
/// </remarks>
public sealed partial class HarmonyParser
{
    private const string FunctionsPrefix = "functions.";

    private readonly Func<int, string> _newToolCallId;
    private bool _inBody;
    private BodyKind _bodyKind;
    private string? _channel;
    private int _toolCallIndex = -1;
    private int _toolCallCount;
    private bool _turnOpen = true;

    /// <summary>Creates a parser for one assistant turn.</summary>
    /// <param name="toolCallIdFactory">Makes the id of tool call number <c>i</c> (0-based); by default <c>call_</c> followed
    /// by 24 random letters and digits. Pass e.g. <c>i =&gt; $"call_{i}"</c> for deterministic output.</param>
    public HarmonyParser(Func<int, string>? toolCallIdFactory = null) => _newToolCallId = toolCallIdFactory ?? NewRandomToolCallId;

    private enum BodyKind { Content, Reasoning, ToolCall }

    /// <summary>Feeds one generated token and appends the events it completes to <paramref name="events"/>.</summary>
    /// <param name="tokenId">The token id. Harmony special tokens (<see cref="HarmonyTokens"/>) are recognised by id; any id
    /// below <see cref="HarmonyTokens.StartOfText"/> or outside the vocabulary (e.g. -1) is ordinary text.</param>
    /// <param name="text">The token's detokenized text: complete UTF-8 characters, possibly empty for a token that ends
    /// inside a character. Ignored for special tokens.</param>
    /// <param name="events">Receives the events, in order.</param>
    public void Push(int tokenId, string? text, ICollection<HarmonyEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        switch (tokenId)
        {
            case Start or End or Message or Channel or Constrain or Return or Call or EndOfText:
                PushSpecial(tokenId, events);
                break;
            case >= StartOfText and < VocabularySize:
                break; // reserved, <|startoftext|>, <|endofprompt|>, padding: no text, no structure
            default:
                PushText(text ?? "", events);
                break;
        }
    }

    /// <summary>Ends the turn: flushes text still held as a possible header and, unless the turn already ended with
    /// <c>&lt;|return|&gt;</c>, <c>&lt;|call|&gt;</c> or <c>&lt;|endoftext|&gt;</c>, reports a
    /// <see cref="HarmonyEventKind.TurnEnd"/> with <paramref name="reason"/>.</summary>
    /// <param name="events">Receives the events, in order.</param>
    /// <param name="reason">Why generation stopped: <see cref="HarmonyTurnEndReason.Length"/> at the token limit,
    /// <see cref="HarmonyTurnEndReason.Stop"/> for a caller's stop sequence.</param>
    public void Finish(ICollection<HarmonyEvent> events, HarmonyTurnEndReason reason = HarmonyTurnEndReason.Length)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!_inBody && HeaderHoldsText())
            Degrade(events);
        BeginHeader(0);
        if (_turnOpen)
            Emit(events, HarmonyEvent.TurnEnd(reason));
    }

    /// <summary>Parses a whole completion, written as text with special tokens in their literal form
    /// (<see cref="SplitSpecials"/>), and accumulates the result.</summary>
    /// <param name="completion">What the model generated after <c>&lt;|start|&gt;assistant</c>.</param>
    /// <param name="toolCallIdFactory">As for the constructor.</param>
    /// <param name="unterminatedReason">The reason reported when the completion does not end its turn.</param>
    public static HarmonyParseResult Parse(string completion, Func<int, string>? toolCallIdFactory = null,
        HarmonyTurnEndReason unterminatedReason = HarmonyTurnEndReason.Length)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var parser = new HarmonyParser(toolCallIdFactory);
        var accumulator = new HarmonyAccumulator();
        var events = new List<HarmonyEvent>();
        foreach (var (id, text) in SplitSpecials(completion))
            parser.Push(id, text, events);
        parser.Finish(events, unterminatedReason);
        accumulator.AddRange(events);
        return accumulator.ToResult();
    }

    /// <summary>Splits text into runs of ordinary text (id -1) and special tokens written literally, such as
    /// <c>&lt;|channel|&gt;</c> or <c>&lt;|reserved_200004|&gt;</c> (ids 199998 .. 200018).</summary>
    public static IEnumerable<(int TokenId, string Text)> SplitSpecials(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Split(text);

        static IEnumerable<(int, string)> Split(string text)
        {
            int textStart = 0, at = 0;
            while ((at = text.IndexOf("<|", at, StringComparison.Ordinal)) >= 0)
            {
                int close = text.IndexOf("|>", at + 2, StringComparison.Ordinal);
                if (close < 0)
                    break;
                if (close - at <= LongestSpecialText && SpecialIdsByText.TryGetValue(text[at..(close + 2)], out int id))
                {
                    if (at > textStart)
                        yield return (-1, text[textStart..at]);
                    yield return (id, text[at..(close + 2)]);
                    at = textStart = close + 2;
                }
                else
                {
                    at++;
                }
            }
            if (textStart < text.Length)
                yield return (-1, text[textStart..]);
        }
    }

    private static readonly Dictionary<string, int> SpecialIdsByText = Enumerable.Range(StartOfText, FirstPadding - StartOfText)
        .ToDictionary(id => SpecialText(id)!, id => id, StringComparer.Ordinal);

    private static readonly int LongestSpecialText = SpecialIdsByText.Keys.Max(t => t.Length);

    private static string NewRandomToolCallId(int index) =>
        "call_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);

    private void PushText(string text, ICollection<HarmonyEvent> events)
    {
        if (text.Length == 0)
            return;
        if (_inBody)
        {
            EmitDelta(text, events);
            return;
        }
        AppendHeaderText(text);
        if (!HeaderIsPlausible())
            Degrade(events);
    }

    private void PushSpecial(int id, ICollection<HarmonyEvent> events)
    {
        if (!_inBody)
        {
            switch (id)
            {
                case Message:
                    OpenBody(events);
                    return;
                case Channel or Constrain:
                    AppendHeaderSpecial(id);
                    if (!HeaderIsPlausible())
                        Degrade(events);
                    return;
            }
            // <|start|>, <|end|>, <|return|>, <|call|>, <|endoftext|>: the header so far is abandoned. If it was plain
            // text rather than a header, it is content and the token closes that content like any message.
            if (!HeaderHoldsText())
            {
                BeginHeader(id == Start ? Start : 0);
                if (TurnEndReasonOf(id) is { } early)
                    Emit(events, HarmonyEvent.TurnEnd(early));
                return;
            }
            Degrade(events);
        }

        switch (id)
        {
            case Message or Constrain:
                return; // misplaced: no text to keep
            case Start or Channel:
                EndMessage(events);
                BeginHeader(id); // a new message begins without <|end|>
                return;
            default:
                EndMessage(events);
                BeginHeader(0);
                if (TurnEndReasonOf(id) is { } reason)
                    Emit(events, HarmonyEvent.TurnEnd(reason));
                return;
        }
    }

    private static HarmonyTurnEndReason? TurnEndReasonOf(int id) => id switch
    {
        Return => HarmonyTurnEndReason.Return,
        Call => HarmonyTurnEndReason.Call,
        EndOfText => HarmonyTurnEndReason.EndOfText,
        _ => null,
    };

    private void OpenBody(ICollection<HarmonyEvent> events)
    {
        var (channel, recipient) = ParseHeader();
        BeginBody(channel);
        if (recipient is null)
        {
            _bodyKind = channel == "analysis" ? BodyKind.Reasoning : BodyKind.Content;
        }
        else if (recipient.StartsWith(FunctionsPrefix, StringComparison.Ordinal) && recipient.Length > FunctionsPrefix.Length)
        {
            _bodyKind = BodyKind.ToolCall;
            _toolCallIndex = _toolCallCount++;
            Emit(events, HarmonyEvent.ToolCallStart(_toolCallIndex, _newToolCallId(_toolCallIndex), recipient[FunctionsPrefix.Length..]));
        }
        else
        {
            _bodyKind = BodyKind.Reasoning; // a built-in tool's input is chain of thought, never shown to the user
        }
    }

    // Text that turned out not to be a header is plain content, in a message without a channel.
    private void Degrade(ICollection<HarmonyEvent> events)
    {
        string text = HeaderText();
        BeginBody(null);
        _bodyKind = BodyKind.Content;
        if (text.Length > 0)
            EmitDelta(text, events);
    }

    private void BeginBody(string? channel)
    {
        ClearHeader();
        _inBody = true;
        _channel = channel;
    }

    private void EndMessage(ICollection<HarmonyEvent> events)
    {
        if (_bodyKind == BodyKind.ToolCall)
            Emit(events, HarmonyEvent.ToolCallEnd(_toolCallIndex));
        Emit(events, HarmonyEvent.MessageEnd(_channel));
        _inBody = false;
    }

    private void EmitDelta(string text, ICollection<HarmonyEvent> events) => Emit(events, _bodyKind switch
    {
        BodyKind.Reasoning => HarmonyEvent.ReasoningDelta(text),
        BodyKind.ToolCall => HarmonyEvent.ToolCallArgumentsDelta(_toolCallIndex, text),
        _ => HarmonyEvent.ContentDelta(text),
    });

    private void Emit(ICollection<HarmonyEvent> events, HarmonyEvent e)
    {
        _turnOpen = e.Kind != HarmonyEventKind.TurnEnd;
        events.Add(e);
    }
}
