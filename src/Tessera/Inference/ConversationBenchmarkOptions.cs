// The shape of the scripted conversation `tessera bench --turns` plays (ConversationBenchmark).

namespace Tessera.Inference;

/// <summary>Options of <see cref="ConversationBenchmark"/>: how many turns, and how long each scripted part is.</summary>
public sealed record ConversationBenchmarkOptions
{
    /// <summary>User turns, each answered by a scripted reply. Default 8.</summary>
    public int Turns { get; init; } = 8;

    /// <summary>Tokens of each reply's reasoning (the analysis channel, dropped from later prompts). Default 300.</summary>
    public int ReasoningTokens { get; init; } = 300;

    /// <summary>Tokens of each reply's answer (the final channel, kept in later prompts). Default 60.</summary>
    public int AnswerTokens { get; init; } = 60;

    /// <summary>Tokens of each user message. Default 40.</summary>
    public int UserTokens { get; init; } = 40;

    /// <summary>Seed of the scripted text.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (Turns < 1) throw new ArgumentException($"turns must be at least 1 (got {Turns})");
        if (ReasoningTokens < 0) throw new ArgumentException($"reasoning tokens must be 0 or more (got {ReasoningTokens})");
        if (AnswerTokens < 1) throw new ArgumentException($"answer tokens must be at least 1 (got {AnswerTokens})");
        if (UserTokens < 1) throw new ArgumentException($"user tokens must be at least 1 (got {UserTokens})");
    }
}
