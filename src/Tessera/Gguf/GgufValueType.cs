// GGUF metadata value types with their on-disk ids (ggml/include/gguf.h; gpt-oss-facts.md §3.1).

namespace Tessera.Gguf;

/// <summary>Type of a GGUF metadata value.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}
