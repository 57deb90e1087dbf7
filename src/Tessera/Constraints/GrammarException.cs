// The error a grammar or a JSON schema that cannot be compiled raises: what is wrong and where (line and column of
// GBNF text, or the JSON pointer and keyword of a schema).

namespace Tessera.Constraints;

/// <summary>A GBNF grammar with a syntax or structure error, or a JSON schema using something the compiler does not
/// support. The message names the problem and where it is.</summary>
public sealed class GrammarException : ArgumentException
{
    /// <summary>Creates the exception with a full message.</summary>
    public GrammarException(string message) : base(message) { }

    /// <summary>1-based line of a GBNF error, or 0 when the error has no position.</summary>
    public int Line { get; init; }

    /// <summary>1-based column of a GBNF error, or 0 when the error has no position.</summary>
    public int Column { get; init; }

    /// <summary>The JSON Schema keyword that is not supported, or null.</summary>
    public string? Keyword { get; init; }
}
