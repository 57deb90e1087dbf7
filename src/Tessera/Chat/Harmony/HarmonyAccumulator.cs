// Collects the events of HarmonyParser into one HarmonyParseResult: deltas concatenated exactly as streamed, tool calls
// by index, the finish reason from the last turn end (OpenAI's "stop" / "tool_calls" / "length").

using System.Text;

namespace Tessera.Chat.Harmony;

/// <summary>Builds the final <see cref="HarmonyParseResult"/> of a turn from <see cref="HarmonyEvent"/>s.</summary>
public sealed class HarmonyAccumulator
{
    private readonly StringBuilder _content = new();
    private readonly StringBuilder _reasoning = new();
    private readonly List<(string Id, string Name, StringBuilder Arguments)> _toolCalls = [];
    private HarmonyTurnEndReason? _turnEnd;

    /// <summary>Adds one event.</summary>
    public void Add(HarmonyEvent e)
    {
        switch (e.Kind)
        {
            case HarmonyEventKind.ContentDelta:
                _content.Append(e.Text);
                break;
            case HarmonyEventKind.ReasoningDelta:
                _reasoning.Append(e.Text);
                break;
            case HarmonyEventKind.ToolCallStart:
                _toolCalls.Add((e.ToolCallId ?? "", e.ToolName ?? "", new StringBuilder()));
                break;
            case HarmonyEventKind.ToolCallArgumentsDelta when (uint)e.ToolCallIndex < (uint)_toolCalls.Count:
                _toolCalls[e.ToolCallIndex].Arguments.Append(e.Text);
                break;
            case HarmonyEventKind.TurnEnd:
                _turnEnd = e.TurnEndReason;
                break;
        }
    }

    /// <summary>Adds events in order.</summary>
    public void AddRange(IEnumerable<HarmonyEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
            Add(e);
    }

    /// <summary>The turn as accumulated so far.</summary>
    public HarmonyParseResult ToResult()
    {
        var toolCalls = _toolCalls.Select(c => new HarmonyToolCall(c.Id, c.Name, c.Arguments.ToString())).ToArray();
        string? finishReason = _turnEnd switch
        {
            null => null,
            HarmonyTurnEndReason.Length => "length",
            _ when toolCalls.Length > 0 => "tool_calls",
            _ => "stop",
        };
        return new HarmonyParseResult(_content.ToString(), _reasoning.ToString(), toolCalls, finishReason);
    }
}
