// One event of the streaming harmony output parser: a delta of reasoning, content or tool-call arguments, or the
// start or end of a tool call, a message or the turn. A value type, compared by value in tests.

namespace Tessera.Chat.Harmony;

/// <summary>An event reported by <see cref="HarmonyParser"/>. <see cref="Kind"/> says which members are set.</summary>
public readonly record struct HarmonyEvent
{
    private HarmonyEvent(HarmonyEventKind kind, string text = "", int toolCallIndex = -1, string? toolCallId = null,
        string? toolName = null, string? channel = null, HarmonyTurnEndReason turnEndReason = default)
    {
        Kind = kind;
        Text = text;
        ToolCallIndex = toolCallIndex;
        ToolCallId = toolCallId;
        ToolName = toolName;
        Channel = channel;
        TurnEndReason = turnEndReason;
    }

    /// <summary>What this event reports.</summary>
    public HarmonyEventKind Kind { get; }

    /// <summary>The text of a delta event; empty for the other kinds.</summary>
    public string Text { get; }

    /// <summary>For tool-call events, the 0-based index of the call within the turn; otherwise -1.</summary>
    public int ToolCallIndex { get; }

    /// <summary>For <see cref="HarmonyEventKind.ToolCallStart"/>, the id given to the call (e.g. <c>call_…</c>).</summary>
    public string? ToolCallId { get; }

    /// <summary>For <see cref="HarmonyEventKind.ToolCallStart"/>, the function name (the recipient without <c>functions.</c>).</summary>
    public string? ToolName { get; }

    /// <summary>For <see cref="HarmonyEventKind.MessageEnd"/>, the message's channel, or null when its header had none.</summary>
    public string? Channel { get; }

    /// <summary>For <see cref="HarmonyEventKind.TurnEnd"/>, why the turn ended.</summary>
    public HarmonyTurnEndReason TurnEndReason { get; }

    /// <summary>Chain-of-thought text.</summary>
    public static HarmonyEvent ReasoningDelta(string text) => new(HarmonyEventKind.ReasoningDelta, text);

    /// <summary>User-visible text.</summary>
    public static HarmonyEvent ContentDelta(string text) => new(HarmonyEventKind.ContentDelta, text);

    /// <summary>A tool call began.</summary>
    public static HarmonyEvent ToolCallStart(int index, string id, string name) =>
        new(HarmonyEventKind.ToolCallStart, toolCallIndex: index, toolCallId: id, toolName: name);

    /// <summary>Text of tool call <paramref name="index"/>'s arguments.</summary>
    public static HarmonyEvent ToolCallArgumentsDelta(int index, string text) =>
        new(HarmonyEventKind.ToolCallArgumentsDelta, text, toolCallIndex: index);

    /// <summary>Tool call <paramref name="index"/> is complete.</summary>
    public static HarmonyEvent ToolCallEnd(int index) => new(HarmonyEventKind.ToolCallEnd, toolCallIndex: index);

    /// <summary>A message on <paramref name="channel"/> (null: none named) ended.</summary>
    public static HarmonyEvent MessageEnd(string? channel) => new(HarmonyEventKind.MessageEnd, channel: channel);

    /// <summary>The turn ended for <paramref name="reason"/>.</summary>
    public static HarmonyEvent TurnEnd(HarmonyTurnEndReason reason) => new(HarmonyEventKind.TurnEnd, turnEndReason: reason);
}
