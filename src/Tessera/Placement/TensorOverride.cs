// One -ot/--override-tensor rule as llama.cpp reads it (common/arg.cpp, parse_tensor_buffer_overrides): a regular
// expression searched for in each tensor name (std::regex_search: a match anywhere, not the whole name) and the buffer
// its tensors go to. A value may hold several rules separated by commas; the first rule that matches a tensor wins.
// Tessera has two buffers, RAM and the GPU, and accepts llama.cpp's names for them in any case (CPU, CUDA0, cuda, gpu).

using System.Text.RegularExpressions;
using Tessera.Backends;

namespace Tessera.Placement;

/// <summary>Tensors whose names match <see cref="Pattern"/> go to <see cref="Device"/>.</summary>
public sealed record TensorOverride
{
    private readonly Regex _regex;

    /// <param name="pattern">A .NET regular expression (llama.cpp's are ECMAScript; the usual ones read the same).</param>
    /// <param name="device"><see cref="Device.Cpu"/> or a CUDA GPU.</param>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public TensorOverride(string pattern, Device device)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        Device = device;
        try { _regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException e) { throw new ArgumentException($"\"{pattern}\" is not a valid regular expression: {e.Message}", nameof(pattern), e); }
    }

    /// <summary>The regular expression as given.</summary>
    public string Pattern { get; }

    /// <summary>Where matching tensors go.</summary>
    public Device Device { get; }

    /// <summary>Whether the pattern occurs in <paramref name="tensorName"/>.</summary>
    public bool Matches(string tensorName) => _regex.IsMatch(tensorName);

    /// <summary>The first rule of <paramref name="overrides"/> that matches <paramref name="tensorName"/>, or null.</summary>
    public static TensorOverride? FirstMatch(IEnumerable<TensorOverride> overrides, string tensorName) =>
        overrides.FirstOrDefault(o => o.Matches(tensorName));

    /// <summary>Rules as llama.cpp's -ot takes them: <c>REGEX=BUFFER[,REGEX=BUFFER...]</c>, BUFFER one of cpu, cuda, cuda0,
    /// gpu (any case). <paramref name="option"/> is the option as the user typed it, for the message.</summary>
    /// <exception cref="FormatException">A rule without <c>=</c>, an empty pattern, an unknown buffer or a bad expression.</exception>
    public static IReadOnlyList<TensorOverride> ParseList(string text, string option = "-ot")
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<TensorOverride>();
        foreach (var rule in text.Split(',', StringSplitOptions.TrimEntries))
        {
            // The last '=' splits: a buffer name never holds one, so a pattern may (llama.cpp splits at the first).
            int eq = rule.LastIndexOf('=');
            if (eq < 0)
                throw new FormatException($"{option} takes PATTERN=BUFFER (e.g. \"exps=cpu\"), not \"{rule}\"");
            var pattern = rule[..eq];
            var buffer = rule[(eq + 1)..].Trim();
            if (pattern.Length == 0)
                throw new FormatException($"{option} \"{rule}\": the pattern before '=' is empty");
            var device = ParseBuffer(buffer)
                ?? throw new FormatException($"{option} \"{rule}\": unknown buffer \"{buffer}\"; use cpu or cuda (llama.cpp's CPU and CUDA0, or gpu)");
            try { rules.Add(new TensorOverride(pattern, device)); }
            catch (ArgumentException e) { throw new FormatException($"{option} \"{rule}\": {e.Message}", e); }
        }
        return rules;
    }

    /// <summary>llama.cpp's buffer names for RAM and the first GPU, in any case; null for anything else.</summary>
    public static Device? ParseBuffer(string buffer) => buffer.ToLowerInvariant() switch
    {
        "cpu" => Device.Cpu,
        "cuda" or "cuda0" or "cuda:0" or "gpu" => Device.Cuda(0),
        _ => null,
    };

    /// <summary>The rule as llama.cpp would print it, e.g. <c>exps=CPU</c>.</summary>
    public override string ToString() => $"{Pattern}={(Device == Device.Cpu ? "CPU" : "CUDA0")}";
}
