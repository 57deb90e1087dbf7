// `tessera inspect FILE`: what a GGUF file holds (any architecture): header, hyperparameters, tokenizer, chat template,
// every tensor and totals by type; `--json` gives the same as one JSON object for scripts.

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tessera.Gguf;
using Tessera.Hub;
using Tessera.Quants;
using Tessera.Tokenization;

namespace Tessera.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, HubEnvironment hub)
    {
        var file = new Argument<string>("file") { Description = "GGUF file to inspect, or a name tessera list shows" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables" };
        var command = new Command("inspect", "Show what a GGUF file holds: metadata, tokenizer, chat template, tensors") { file, json };
        command.SetAction(r =>
        {
            var path = ModelReference.RequireFile(ModelReference.Local(r.GetValue(file)!, hub, stderr).Path);
            using var gguf = GgufFile.Open(path);
            if (r.GetValue(json)) stdout.WriteLine(ToJson(gguf).ToJsonString(new JsonSerializerOptions(JsonOptions) { WriteIndented = true }));
            else PrintTables(gguf, Format.Console(stdout));
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? Architecture(GgufFile f) => f[GgufKeys.Architecture]?.Raw as string;

    private static bool IsTokenizerArray(string key) =>
        key is GgufKeys.TokenizerTokens or GgufKeys.TokenizerTokenType or GgufKeys.TokenizerMerges or "tokenizer.ggml.scores";

    private static void PrintTables(GgufFile f, IAnsiConsole console)
    {
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = 200;
        var arch = Architecture(f);
        console.WriteLine($"{f.Path}: GGUF v{f.Version}, {Format.Bytes(f.FileSize)} ({f.FileSize:N0} bytes), {f.Tensors.Count} tensors, {f.MetadataEntries.Count} metadata keys, alignment {f.Alignment}, data at byte {f.DataOffset}");
        console.WriteLine($"architecture: {arch ?? "(none)"}   name: {f[GgufKeys.Name]?.Raw ?? "(none)"}");

        var hyper = new Table().Title("hyperparameters").AddColumns("key", "type", "value");
        var general = new Table().Title("other metadata").AddColumns("key", "type", "value");
        foreach (var (key, value) in f.MetadataEntries)
        {
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal) || key == GgufKeys.Architecture) continue;
            var table = arch != null && key.StartsWith(arch + ".", StringComparison.Ordinal) ? hyper : general;
            table.AddRow(Markup.Escape(key), Markup.Escape(value.Describe()), Markup.Escape(value.ToDisplayString()));
        }
        if (hyper.Rows.Count > 0) console.Write(hyper);
        if (general.Rows.Count > 0) console.Write(general);

        var tok = Tokenizer(f);
        var tokTable = new Table().Title("tokenizer").AddColumns("property", "value");
        foreach (var (k, v) in tok)
            tokTable.AddRow(Markup.Escape(k), Markup.Escape(v is JsonValue jv && jv.TryGetValue<string>(out var text) ? text : v?.ToJsonString(JsonOptions) ?? "-"));
        console.Write(tokTable);
        var template = f[GgufKeys.ChatTemplate]?.Raw as string;
        console.WriteLine(template is null ? "chat template: absent" : $"chat template: present ({template.Length:N0} characters)");

        var tensors = new Table().Title("tensors").AddColumns("name", "shape", "type", "bytes", "offset");
        tensors.Columns[3].RightAligned();
        tensors.Columns[4].RightAligned();
        foreach (var t in f.Tensors)
            tensors.AddRow(Markup.Escape(t.Name), t.ShapeText, t.Type.ToString(), t.ByteSize.ToString("N0"), t.FileOffset.ToString("N0"));
        console.Write(tensors);

        var totals = new Table().Title("totals by type").AddColumns("type", "tensors", "elements", "bytes", "share");
        foreach (var c in totals.Columns.Skip(1)) c.RightAligned();
        var all = f.Tensors.Sum(t => t.ByteSize);
        foreach (var g in TotalsByType(f))
            totals.AddRow(g.Type.ToString(), g.Count.ToString("N0"), g.Elements.ToString("N0"), $"{g.Bytes:N0} ({Format.Bytes(g.Bytes)})", all == 0 ? "-" : $"{100.0 * g.Bytes / all:F1}%");
        totals.AddRow("all", f.Tensors.Count.ToString("N0"), f.Tensors.Sum(t => t.ElementCount).ToString("N0"), $"{all:N0} ({Format.Bytes(all)})", "100%");
        console.Write(totals);
    }

    private static IEnumerable<(GgmlType Type, int Count, long Elements, long Bytes)> TotalsByType(GgufFile f) =>
        f.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteSize))
            .Select(g => (g.Key, g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteSize)));

    /// <summary>A summary of the tokenizer: model, pre-tokenizer, counts by token type, special ids with their text.</summary>
    private static JsonObject Tokenizer(GgufFile f)
    {
        var o = new JsonObject();
        var tokens = f[GgufKeys.TokenizerTokens]?.Raw as string[];
        o["model"] = f[GgufKeys.TokenizerModel]?.Raw as string;
        o["pre"] = f[GgufKeys.TokenizerPre]?.Raw as string;
        o["tokens"] = tokens?.Length;
        o["merges"] = (f[GgufKeys.TokenizerMerges]?.Raw as Array)?.Length;
        if (f[GgufKeys.TokenizerTokenType]?.Raw is int[] types)
        {
            var byType = new JsonObject();
            foreach (var g in types.GroupBy(t => t).OrderBy(g => g.Key))
                byType[Enum.IsDefined((TokenType)g.Key) ? ((TokenType)g.Key).ToString().ToLowerInvariant() : $"type{g.Key}"] = g.Count();
            o["token_types"] = byType;
        }
        foreach (var (name, key) in new[] { ("bos", GgufKeys.TokenizerBosId), ("eos", GgufKeys.TokenizerEosId), ("padding", GgufKeys.TokenizerPaddingId) })
        {
            if (f[key] is not { } v) continue;
            long id;
            try { id = v.AsInt64(); } catch (InvalidOperationException) { continue; }
            o[name] = tokens is not null && id >= 0 && id < tokens.Length ? $"{id} {tokens[id]}" : id.ToString();
        }
        return o;
    }

    private static JsonObject ToJson(GgufFile f)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in f.MetadataEntries)
            metadata[key] = IsTokenizerArray(key) ? new JsonObject { ["type"] = value.Describe(), ["count"] = value.Count } : ValueToJson(value);
        var tensors = new JsonArray();
        foreach (var t in f.Tensors)
            tensors.Add((JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["shape"] = new JsonArray([.. t.Dimensions.Select(d => (JsonNode)d)]),
                ["type"] = t.Type.ToString(),
                ["bytes"] = t.ByteSize,
                ["offset"] = t.FileOffset,
            });
        var totals = new JsonArray();
        foreach (var g in TotalsByType(f))
            totals.Add((JsonNode)new JsonObject { ["type"] = g.Type.ToString(), ["tensors"] = g.Count, ["elements"] = g.Elements, ["bytes"] = g.Bytes });
        return new JsonObject
        {
            ["file"] = f.Path,
            ["file_size"] = f.FileSize,
            ["version"] = f.Version,
            ["alignment"] = f.Alignment,
            ["data_offset"] = f.DataOffset,
            ["architecture"] = Architecture(f),
            ["metadata"] = metadata,
            ["tokenizer"] = Tokenizer(f),
            ["chat_template"] = new JsonObject { ["present"] = f[GgufKeys.ChatTemplate] is not null, ["length"] = (f[GgufKeys.ChatTemplate]?.Raw as string)?.Length },
            ["tensor_count"] = f.Tensors.Count,
            ["tensors"] = tensors,
            ["totals"] = totals,
            ["total_bytes"] = f.Tensors.Sum(t => t.ByteSize),
        };
    }

    private static JsonNode? ValueToJson(GgufValue v) => v.Raw switch
    {
        string s => s,
        bool b => b,
        float x => float.IsFinite(x) ? x : x.ToString(),
        double x => double.IsFinite(x) ? x : x.ToString(),
        ulong u => u,
        Array a => new JsonArray([.. a.Cast<object>().Select(o => o is GgufValue g ? ValueToJson(g) : ValueToJson(Box(o)))]),
        _ => v.AsInt64(),
    };

    private static GgufValue Box(object o) => o switch
    {
        string s => GgufValue.From(s), bool b => GgufValue.From(b), float x => GgufValue.From(x), double x => GgufValue.From(x),
        ulong u => GgufValue.From(u), _ => GgufValue.From(Convert.ToInt64(o, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
