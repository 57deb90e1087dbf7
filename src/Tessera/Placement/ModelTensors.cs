// What the planner needs to know of a model: its hyperparameters and every tensor's name, type, shape and bytes. Read
// from a GGUF's tensor table, or built from the architecture's layout (GptOssLayout) so that a 12 GB shape such as
// gpt-oss-20b can be planned for without the file.

using Tessera.Gguf;
using Tessera.Models.GptOss;
using Tessera.Quants;

namespace Tessera.Placement;

/// <summary>A model's hyperparameters and tensors, in file order.</summary>
public sealed class ModelTensors
{
    private readonly Dictionary<string, PlannedTensor> _byName;

    public ModelTensors(GptOssHyperParameters hyperParameters, IEnumerable<PlannedTensor> tensors)
    {
        HyperParameters = hyperParameters;
        Tensors = tensors.ToArray();
        _byName = Tensors.ToDictionary(t => t.Name);
    }

    public GptOssHyperParameters HyperParameters { get; }
    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public PlannedTensor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The tensors of an open gpt-oss GGUF.</summary>
    public static ModelTensors FromGguf(GgufFile file) =>
        new(GptOssHyperParameters.FromGguf(file), file.Tensors.Select(t => new PlannedTensor(t.Name, t.Type, t.Dimensions, t.ByteSize)));

    /// <summary>The tensors a gpt-oss GGUF of this shape holds (ggml-org's types by default), without a file.</summary>
    public static ModelTensors FromLayout(GptOssHyperParameters hp, GgmlType matrixType = GgmlType.Q8_0, GgmlType expertType = GgmlType.MXFP4) =>
        new(hp, GptOssLayout.Tensors(hp, matrixType, expertType).Select(t => new PlannedTensor(t.Name, t.Type, t.Dimensions, t.ByteSize)));
}
