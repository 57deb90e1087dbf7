// One step of generation: the token chosen, its text as far as it completes UTF-8 characters, and whether it ended
// generation.

namespace Tessera.Inference;

/// <summary>A generated token. <see cref="Text"/> may be empty when the token ends inside a multi-byte character.</summary>
public readonly record struct GeneratedToken(int Id, string Text, bool IsEndOfGeneration);
