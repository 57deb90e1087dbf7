// `tessera chat`: the loop over a scripted model (exact reasoning, answer, summary, commands, Ctrl+C), and the
// command end to end over the tiny synthetic model with scripted standard input (the structure, not the random text).

using Tessera.Cli;
using Tessera.Cli.Commands;
using Tessera.Chat.Harmony;
using Tessera.Tests.Api;

namespace Tessera.Tests.Cli;

public class ChatCommandTests
{
    private const string Reasoning = "The user asks for the capital of France. It is Paris.";
    private const string Answer = "The capital of France is **Paris**.";
    private const string Reply = $"<|channel|>analysis<|message|>{Reasoning}<|end|><|start|>assistant<|channel|>final<|message|>{Answer}<|return|>";
    private const string Script = "/effort high\nWhat is the capital of France?\n/stats\n/reset\n/exit\n";

    private static (ChatLoop Loop, StringWriter Output) Loop(TesseraModel model, string input, bool hideReasoning = false, string? system = null, int? maxTokens = null)
    {
        var output = new StringWriter();
        var loop = new ChatLoop(model, new ChatCompletionOptions { MaxTokens = maxTokens }, system, hideReasoning, new StringReader(input), Format.Console(output), echo: true);
        return (loop, output);
    }

    private static string Normalise(StringWriter output) => output.ToString().Replace("\r\n", "\n");

    [Fact]
    public async Task ShowsReasoningApartFromTheAnswerAndObeysTheCommands()
    {
        using var model = ScriptedPredictor.Model(completions: Reply);
        var (loop, output) = Loop(model, Script);
        await loop.RunAsync(TestContext.Current.CancellationToken);
        var text = Normalise(output);

        Assert.Matches(@"^chatting with scripted \(context \d+ tokens\), reasoning effort medium;", text);
        Assert.Contains("> /effort high\n(reasoning effort: high)\n", text);
        Assert.Contains($"> What is the capital of France?\nreasoning\n{Reasoning}\nanswer\n{Answer}\n> /stats\nload time", text);
        Assert.Contains("prompt eval time", text);
        Assert.Contains("> /reset\n(new conversation)\n> /exit\n", text);
        Assert.EndsWith("> /exit\n", text);
        Assert.Equal(ReasoningEffort.High, loop.Options.ReasoningEffort);
        Assert.Empty(loop.Messages);
        Assert.Null(loop.LastTimings);   // /reset starts over: /stats has no reply to describe
    }

    [Fact]
    public async Task AConversationThatOutgrowsTheContextDropsItsOldestTurnsAndGoesOn()
    {
        // A 400-token context: a reply needs 100 tokens of room, each question here is about 90 tokens with its reply.
        using var model = ScriptedPredictor.Model(400, Enumerable.Repeat(Reply, 6).ToArray());
        string Question(int i) => $"Question {i}: " + string.Concat(Enumerable.Repeat(" and what else", 20)) + "?";
        var input = string.Join("\n", Enumerable.Range(1, 6).Select(Question)) + "\n/exit\n";
        var (loop, output) = Loop(model, input, system: "Be brief.");
        await loop.RunAsync(TestContext.Current.CancellationToken);
        var text = Normalise(output);
        Assert.Contains("(the conversation outgrew the context of 400 tokens: its oldest 2 messages were left out; -c sets a larger context)", text);
        Assert.DoesNotContain("does not fit", text);
        Assert.Equal(6, text.Split($"answer\n{Answer}").Length - 1);   // every question was answered
        // The newest question and its answer are kept; the oldest went first.
        Assert.Equal(Question(6), loop.Messages[^2].Content);
        Assert.DoesNotContain(loop.Messages, m => m.Content == Question(1));
    }

    [Fact]
    public async Task StatsDescribeAStoppedReplyAndResetClearsThem()
    {
        var predictor = new ScriptedPredictor(ScriptedPredictor.Tokenizer.Encode(
            "<|channel|>final<|message|>" + string.Concat(Enumerable.Repeat(" word", 100)), parseSpecial: true));
        using var model = new TesseraModel(predictor, ScriptedPredictor.Tokenizer, "scripted", 1.5);
        var (loop, output) = Loop(model, "Talk a lot.\n/stats\n/reset\n/stats\n/exit\n", maxTokens: 60);
        var evaluations = 0;
        predictor.OnEvaluate = () => { if (++evaluations == 8) loop.Interrupt(); };
        await loop.RunAsync(TestContext.Current.CancellationToken);
        var text = Normalise(output);
        // The stopped reply's timings: its prompt and the tokens generated before Ctrl+C.
        Assert.Contains("\n(stopped)\n> /stats\nload time", text);
        Assert.Contains("> /reset\n(new conversation)\n> /stats\n(no finished reply yet)\n", text);
    }

    [Fact]
    public async Task HiddenReasoningIsOneLine()
    {
        using var model = ScriptedPredictor.Model(completions: Reply);
        var (loop, output) = Loop(model, "What is the capital of France?\n", hideReasoning: true);
        await loop.RunAsync(TestContext.Current.CancellationToken);
        var text = Normalise(output);
        var tokens = ScriptedPredictor.Tokenizer.Encode(Reasoning, parseSpecial: false).Length;
        Assert.Contains($"> What is the capital of France?\nthought for {tokens} tokens\nanswer\n{Answer}\n", text);
        Assert.DoesNotContain("It is Paris", text);
        // The conversation keeps the whole reply all the same.
        Assert.Equal(Reasoning, loop.Messages[^1].Reasoning);
        Assert.Equal(Answer, loop.Messages[^1].Content);
    }

    [Fact]
    public async Task TheConversationCarriesOverUntilReset()
    {
        using var model = ScriptedPredictor.Model(completions: [Reply, Reply, Reply]);
        var (loop, output) = Loop(model, "First?\nSecond?\n", system: "Be brief.");
        await loop.RunAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["First?", Answer, "Second?", Answer], loop.Messages.Select(m => m.Content));
        Assert.Equal(2, Normalise(output).Split("\nanswer\n").Length - 1);
    }

    [Fact]
    public async Task CtrlCStopsTheAnswerNotTheChat()
    {
        var predictor = new ScriptedPredictor(ScriptedPredictor.Tokenizer.Encode(
            "<|channel|>final<|message|>" + string.Concat(Enumerable.Repeat(" word", 100)), parseSpecial: true));
        using var model = new TesseraModel(predictor, ScriptedPredictor.Tokenizer, "scripted", 1.5);
        var (loop, output) = Loop(model, "Talk a lot.\nAnd now?\n/exit\n", maxTokens: 30);
        var evaluations = 0;
        var interrupted = false;
        predictor.OnEvaluate = () => { if (++evaluations == 10) interrupted = loop.Interrupt(); };
        await loop.RunAsync(TestContext.Current.CancellationToken);
        var text = Normalise(output);
        Assert.Contains("> Talk a lot.\nanswer\n word word", text);
        Assert.Contains("\n(stopped)\n> And now?\n", text);
        Assert.EndsWith("(stopped at the token limit)\n> /exit\n", text);
        Assert.True(interrupted);
        // The stopped answer stays in the conversation as far as it went; the next question was answered.
        Assert.Equal(4, loop.Messages.Count);
        Assert.InRange(loop.Messages[1].Content!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length, 1, 12);
    }

    [Fact]
    public void CtrlCAtThePromptExplainsThenQuits()
    {
        using var model = ScriptedPredictor.Model(completions: Reply);
        var (loop, output) = Loop(model, "");
        Assert.True(loop.Interrupt());
        Assert.Contains("(Ctrl+C again, /exit or Ctrl+D quits)", output.ToString());
        Assert.False(loop.Interrupt());
    }

    [Fact]
    public void ChatOverTheTinyModel()
    {
        var (code, output, err) = CliRunner.RunWith(null, "/effort high\nHello\n/stats\n/reset\n/effort max\n/nonsense\n/exit\n",
            "chat", "-m", TestModels.Tiny, "-n", "3", "--seed", "1");
        Assert.True(code == 0, err);
        var text = output.Replace("\r\n", "\n");
        Assert.Matches(@"^chatting with tiny-seed1 \(device: (cpu, \d+ threads?, \w+|cuda, [^;]+); context 4096 tokens\), reasoning effort medium;", text);
        Assert.Contains("> /effort high\n(reasoning effort: high)\n> Hello\n", text);
        var reply = text[(text.IndexOf("> Hello\n", StringComparison.Ordinal) + 8)..text.IndexOf("> /stats", StringComparison.Ordinal)];
        Assert.Matches(@"^(reasoning|answer)\n", reply);
        Assert.EndsWith("(stopped at the token limit)\n", reply);   // three random tokens do not end a turn
        Assert.Matches(@"> /stats\nload time += +[\d.]+ ms\nprompt eval time += +[\d.]+ ms / +\d+ tokens", text);
        Assert.Contains("eval time", text);
        Assert.Contains("> /reset\n(new conversation)\n", text);
        Assert.Contains("(/effort must be low, medium or high, not \"max\")", text);
        Assert.Contains("(unknown command /nonsense; /help lists them)", text);
        Assert.EndsWith("> /exit\n", text);
    }

    [Fact]
    public void EndOfInputEndsTheChat()
    {
        var (code, output, err) = CliRunner.RunWith(null, "", "chat", "-m", TestModels.Tiny);
        Assert.True(code == 0, err);
        Assert.EndsWith("> \n", output.Replace("\r\n", "\n"));
    }
}
