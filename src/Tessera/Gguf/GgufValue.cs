// A GGUF metadata value: a scalar, a string, or an array of one element type (arrays may nest).
// Arrays keep their natural .NET element type (uint[] for UINT32, string[] for STRING, GgufValue[] for nested arrays).

using System.Globalization;

namespace Tessera.Gguf;

/// <summary>One GGUF metadata value.</summary>
public sealed class GgufValue
{
    private readonly object _value;

    private GgufValue(GgufValueType type, object value, GgufValueType elementType = GgufValueType.UInt8)
    {
        Type = type;
        _value = value;
        ElementType = elementType;
    }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays, the type of the elements; meaningless otherwise.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The value as a .NET object: a scalar, a string, or an array (typed .NET array).</summary>
    public object Raw => _value;

    /// <summary>Number of elements for arrays; 1 otherwise.</summary>
    public int Count => _value is Array a ? a.Length : 1;

    public static GgufValue From(byte v) => new(GgufValueType.UInt8, v);
    public static GgufValue From(sbyte v) => new(GgufValueType.Int8, v);
    public static GgufValue From(ushort v) => new(GgufValueType.UInt16, v);
    public static GgufValue From(short v) => new(GgufValueType.Int16, v);
    public static GgufValue From(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue From(int v) => new(GgufValueType.Int32, v);
    public static GgufValue From(float v) => new(GgufValueType.Float32, v);
    public static GgufValue From(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue From(string v) => new(GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue From(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue From(long v) => new(GgufValueType.Int64, v);
    public static GgufValue From(double v) => new(GgufValueType.Float64, v);

    /// <summary>An array of scalars or strings; the element type follows from <typeparamref name="T"/>.</summary>
    public static GgufValue Array<T>(T[] items) => new(GgufValueType.Array, items, ElementTypeOf(typeof(T)));

    /// <summary>An array of arrays (GGUF allows nesting).</summary>
    public static GgufValue ArrayOfArrays(GgufValue[] items)
    {
        if (items.Any(i => i.Type != GgufValueType.Array))
            throw new ArgumentException("every element of a nested array must itself be an array", nameof(items));
        return new(GgufValueType.Array, items, GgufValueType.Array);
    }

    internal static GgufValue FromArray(GgufValueType elementType, Array items) => new(GgufValueType.Array, items, elementType);

    internal static GgufValueType ElementTypeOf(Type t) =>
        t == typeof(byte) ? GgufValueType.UInt8 :
        t == typeof(sbyte) ? GgufValueType.Int8 :
        t == typeof(ushort) ? GgufValueType.UInt16 :
        t == typeof(short) ? GgufValueType.Int16 :
        t == typeof(uint) ? GgufValueType.UInt32 :
        t == typeof(int) ? GgufValueType.Int32 :
        t == typeof(float) ? GgufValueType.Float32 :
        t == typeof(bool) ? GgufValueType.Bool :
        t == typeof(string) ? GgufValueType.String :
        t == typeof(ulong) ? GgufValueType.UInt64 :
        t == typeof(long) ? GgufValueType.Int64 :
        t == typeof(double) ? GgufValueType.Float64 :
        t == typeof(GgufValue) ? GgufValueType.Array :
        throw new ArgumentException($"{t.Name} is not a GGUF value type");

    /// <summary>The string value; throws if this is not a string.</summary>
    public string AsString() => _value as string ?? throw Mismatch("a string");

    /// <summary>The value of any integer type as a 64-bit integer; throws for other types or values beyond long.</summary>
    public long AsInt64() => _value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw Mismatch("an integer"),
    };

    /// <summary>The value of any numeric type as a double.</summary>
    public double AsDouble() => _value switch
    {
        float v => v, double v => v,
        byte or sbyte or ushort or short or uint or int or long or ulong => Convert.ToDouble(_value, CultureInfo.InvariantCulture),
        _ => throw Mismatch("a number"),
    };

    /// <summary>The boolean value.</summary>
    public bool AsBool() => _value is bool b ? b : throw Mismatch("a bool");

    /// <summary>The elements of an array whose .NET element type is <typeparamref name="T"/>.</summary>
    public T[] AsArray<T>() => _value as T[] ?? throw Mismatch($"an array of {typeof(T).Name}");

    private InvalidOperationException Mismatch(string wanted) =>
        new($"GGUF value is {Describe()}, not {wanted}");

    /// <summary>The type as GGUF tools print it, e.g. <c>u32</c> or <c>arr[str,201088]</c>.</summary>
    public string Describe() => Type == GgufValueType.Array ? $"arr[{ShortName(ElementType)},{Count}]" : ShortName(Type);

    /// <summary>Short GGUF type name: u8, i8, u16, i16, u32, i32, f32, bool, str, arr, u64, i64, f64.</summary>
    public static string ShortName(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 => "u8", GgufValueType.Int8 => "i8", GgufValueType.UInt16 => "u16", GgufValueType.Int16 => "i16",
        GgufValueType.UInt32 => "u32", GgufValueType.Int32 => "i32", GgufValueType.Float32 => "f32", GgufValueType.Bool => "bool",
        GgufValueType.String => "str", GgufValueType.Array => "arr", GgufValueType.UInt64 => "u64", GgufValueType.Int64 => "i64",
        GgufValueType.Float64 => "f64", _ => $"type{(uint)t}",
    };

    /// <summary>A short human-readable rendering; long arrays show their first elements only.</summary>
    public string ToDisplayString(int maxElements = 8)
    {
        return Format(_value);

        string Format(object v) => v switch
        {
            string s => Quote(s),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            Array a => "[" + string.Join(", ", a.Cast<object>().Take(maxElements).Select(Format))
                       + (a.Length > maxElements ? $", ... ({a.Length} in all)" : "") + "]",
            GgufValue g => g.ToDisplayString(maxElements),
            IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };

        static string Quote(string s)
        {
            var shown = s.Length > 60 ? s[..60] + "..." : s;
            return "\"" + shown.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";
        }
    }

    public override string ToString() => ToDisplayString();
}
