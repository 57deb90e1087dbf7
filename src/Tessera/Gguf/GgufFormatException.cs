// The one error a malformed GGUF file produces: it names the field that is wrong and the byte offset where it was read.

namespace Tessera.Gguf;

/// <summary>A GGUF file is malformed, truncated or hostile. <see cref="Field"/> and <see cref="Offset"/> say where.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string field, long offset, string problem, bool endsEarly = false)
        : base($"{field} at byte {offset}: {problem}")
    {
        Field = field;
        Offset = offset;
        Problem = problem;
        EndsEarly = endsEarly;
    }

    /// <summary>The file ended before what its header announces: truncated (an interrupted download) or corrupt.</summary>
    public bool EndsEarly { get; }

    /// <summary>The field being read, e.g. <c>tensor_infos[3].ne[1]</c> or <c>kv["general.alignment"]</c>.</summary>
    public string Field { get; }

    /// <summary>Byte offset from the start of the file where the field starts.</summary>
    public long Offset { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
