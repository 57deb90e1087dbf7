// `tessera tokenize -m FILE [TEXT]`: the model's tokenizer on some text, like llama.cpp's llama-tokenize.
// Text comes from the argument or, without one, from standard input.

using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Tokenization;

namespace Tessera.Cli.Commands;

internal static class TokenizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TextReader stdin, HubEnvironment hub)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model whose tokenizer to use (a file, or a name tessera list shows)", Required = true };
        var text = new Argument<string?>("text") { Description = "Text to tokenize (standard input when absent)", Arity = ArgumentArity.ZeroOrOne };
        var ids = new Option<bool>("--ids") { Description = "Print only the ids, as a list: [1, 2, 3]" };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of {id, piece}" };
        var noSpecial = new Option<bool>("--no-special") { Description = "Do not parse special-token text such as <|start|> (control tokens become plain text)" };
        var command = new Command("tokenize", "Split text into the model's tokens") { model, text, ids, json, noSpecial };
        command.SetAction(r =>
        {
            var path = ModelReference.RequireFile(ModelReference.Local(r.GetValue(model)!, hub, stderr).Path);
            using var file = GgufFile.Open(path);
            var tokenizer = GgufTokenizer.Load(file);
            var input = r.GetValue(text) ?? stdin.ReadToEnd();
            var tokens = tokenizer.Encode(input, parseSpecial: !r.GetValue(noSpecial));
            if (r.GetValue(ids))
            {
                stdout.WriteLine("[" + string.Join(", ", tokens) + "]");
            }
            else if (r.GetValue(json))
            {
                var array = new JsonArray();
                foreach (var id in tokens)
                    array.Add((JsonNode)new JsonObject { ["id"] = id, ["piece"] = Piece(tokenizer, id) });
                stdout.WriteLine(array.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            else
            {
                foreach (var id in tokens) stdout.WriteLine($"{id,7} -> '{Piece(tokenizer, id)}'");
                stdout.WriteLine($"{tokens.Length} tokens");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The token's text; bytes that are not whole UTF-8 characters on their own are shown as \xNN.</summary>
    private static string Piece(BpeTokenizer tokenizer, int id)
    {
        var bytes = tokenizer.GetTokenBytes(id);
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { return string.Concat(bytes.ToArray().Select(b => b < 0x80 ? ((char)b).ToString() : $"\\x{b:x2}")); }
    }
}
