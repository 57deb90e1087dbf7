// `tessera logits -m FILE -p TEXT -o out.bin`: the logits of every prompt position, for comparisons with other engines.
// Layout of out.bin: little-endian float32, row-major [tokens × vocabulary], no header; row i is the model's
// prediction of the token after prompt token i. `--ids-out` writes the prompt's token ids (one per line) beside it.

using System.CommandLine;
using System.Runtime.InteropServices;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Inference;
using Tessera.Models.GptOss;
using Tessera.Tokenization;

namespace Tessera.Cli.Commands;

internal static class LogitsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file, or a name tessera list shows" };
        var hf = new HuggingFaceOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to evaluate (special-token text is parsed)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Where to write float32 logits [tokens × vocabulary]", Required = true };
        var idsOut = new Option<string?>("--ids-out") { Description = "Also write the token ids, one per line" };
        var threads = new Option<int?>("--threads", "-t") { Description = "CPU threads" };
        var command = new Command("logits", "Write the logits of every prompt position to a file (float32, [tokens × vocabulary])") { model, prompt, output, idsOut, threads };
        hf.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            var t = ModelOptions.CheckThreads(r, threads, stderr);
            var path = ModelReference.RequireFile((await ModelReference.ResolveAsync(r.GetValue(model), hf.Reference(r), hub, stderr, findDefault: false, cancellationToken)).Path);
            int[] ids;
            using (var file = GgufFile.Open(path)) ids = GgufTokenizer.Load(file).Encode(r.GetValue(prompt)!, parseSpecial: true);
            if (ids.Length == 0) throw new CliException("the prompt is empty");
            var dump = LogitsDump.Evaluate(path, ids, new GptOssPredictorOptions { Threads = t ?? new TesseraModelOptions().EffectiveThreads });
            using (var stream = File.Create(r.GetValue(output)!))
                stream.Write(MemoryMarshal.AsBytes(dump.Values.AsSpan()));
            if (r.GetValue(idsOut) is { } idsPath) File.WriteAllLines(idsPath, ids.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            stdout.WriteLine($"wrote {r.GetValue(output)}: float32 [{dump.Positions} tokens × {dump.VocabularySize}] ({(long)dump.Positions * dump.VocabularySize * 4:N0} bytes)");
            return 0;
        });
        return command;
    }
}
