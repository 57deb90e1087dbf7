// System.CommandLine's parse errors in the user's words: "Cannot parse argument 'abc' for option '--temp' as expected
// type 'System.Single'" becomes "--temp takes a number, not "abc"", naming the option as it was typed (-n, not
// --max-tokens). Errors without a type in them (an unknown option, a missing value) are kept, a missing value reworded.

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Tessera.Cli;

internal static partial class ParseErrors
{
    public static string Describe(ParseError error)
    {
        var typed = Typed(error.SymbolResult);
        if (CannotParse().Match(error.Message) is { Success: true } m)
        {
            var option = typed ?? (m.Groups["option"].Success ? m.Groups["option"].Value : "the argument");
            return $"{option} takes {Kind(m.Groups["type"].Value)}, not \"{m.Groups["value"].Value}\"";
        }
        if (MissingValue().Match(error.Message) is { Success: true } missing)
            return $"{typed ?? missing.Groups["option"].Value} needs a value";
        if (error.Message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return "give a command (tessera chat is a good start)";
        return error.Message;
    }

    // The option as the user typed it (an alias such as -n), when the error belongs to one.
    private static string? Typed(SymbolResult? result) => result switch
    {
        OptionResult o => o.IdentifierToken?.Value ?? o.Option.Name,
        ArgumentResult { Parent: OptionResult o } => o.IdentifierToken?.Value ?? o.Option.Name,
        ArgumentResult a => a.Argument.Name,
        _ => null,
    };

    // What a value of a .NET type is to a user.
    private static string Kind(string type)
    {
        var inner = NullableOf().Match(type) is { Success: true } n ? n.Groups[1].Value : type;
        return inner switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.Byte" => "a whole number (in range)",
            "System.UInt32" or "System.UInt64" => "a whole number from 0 up (in range)",
            "System.Single" or "System.Double" or "System.Decimal" => "a number such as 0.7",
            "System.Boolean" => "true or false",
            _ => "a different value",
        };
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*?)'(?: for (?:option|command) '(?<option>[^']*)')? as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Required argument missing for (?:option|command): '(?<option>[^']*)'\.?$")]
    private static partial Regex MissingValue();

    [GeneratedRegex(@"^System\.Nullable`1\[(.*)\]$")]
    private static partial Regex NullableOf();
}
