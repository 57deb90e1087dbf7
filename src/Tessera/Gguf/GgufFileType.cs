// general.file_type: llama.cpp's llama_ftype, the quantisation a GGUF file is known by (llama.h, named as
// llama_model_ftype_name prints them), and the fallback when a file has no such key: its most common matrix type.

namespace Tessera.Gguf;

/// <summary>The quantisation of a GGUF model file, by name: <c>MXFP4 MoE</c>, <c>Q8_0</c>, <c>F16</c>.</summary>
public static class GgufFileType
{
    private static readonly Dictionary<uint, string> Names = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S",
        [22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S", [27] = "IQ3_M",
        [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M", [32] = "BF16", [36] = "TQ1_0", [37] = "TQ2_0",
        [38] = "MXFP4 MoE",
    };

    /// <summary>The name of llama_ftype <paramref name="fileType"/>, or null for a value llama.cpp does not define.</summary>
    public static string? Name(uint fileType) => Names.GetValueOrDefault(fileType & ~1024u);   // 1024: LLAMA_FTYPE_GUESSED

    /// <summary>The file's quantisation: general.file_type by name, else the type most of its matrix bytes are in.</summary>
    public static string Of(GgufFile file)
    {
        if (file[GgufKeys.FileType]?.Raw is uint t && Name(t) is { } name) return name;
        var largest = file.Tensors.Where(x => x.Dimensions.Length >= 2)
            .GroupBy(x => x.Type)
            .OrderByDescending(g => g.Sum(x => x.ByteSize))
            .FirstOrDefault();
        return largest is null ? "unknown" : largest.Key.ToString();
    }
}
