// StopSequenceMatcher: stop strings split across pieces, overlapping prefixes, several stops, a stop at the very start,
// non-ASCII text, and that whatever the piece boundaries, the emitted text is the text before the first stop.

using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class StopSequenceMatcherTests
{
    /// <summary>Feeds <paramref name="pieces"/> until a stop; returns what was emitted per piece and the stop hit.</summary>
    private static (string[] Emitted, string? Stop) Feed(string[] stops, params string[] pieces)
    {
        var matcher = new StopSequenceMatcher(stops);
        var emitted = new List<string>();
        foreach (var piece in pieces)
        {
            emitted.Add(matcher.Append(piece));
            if (matcher.IsStopped) return ([.. emitted], matcher.StopSequence);
        }
        emitted.Add(matcher.Flush());
        return ([.. emitted], null);
    }

    [Fact]
    public void WithoutStopsEverythingPassesAtOnce()
    {
        var (emitted, stop) = Feed([], "Hello", ", ", "world");
        Assert.Equal(["Hello", ", ", "world", ""], emitted);
        Assert.Null(stop);
    }

    [Fact]
    public void TextThatCannotStartAStopIsEmittedAtOnce()
    {
        var (emitted, _) = Feed(["STOP"], "Hello", " there", "!");
        Assert.Equal(["Hello", " there", "!", ""], emitted);
    }

    [Fact]
    public void AStopSplitAcrossPiecesIsHeldBackThenDropped()
    {
        var (emitted, stop) = Feed(["<end>"], "Hi <", "en", "d> trailing");
        Assert.Equal(["Hi ", "", ""], emitted);
        Assert.Equal("<end>", stop);
    }

    [Fact]
    public void AHeldBackPrefixIsReleasedWhenItTurnsOutNotToBeAStop()
    {
        var (emitted, stop) = Feed(["<end>"], "a <e", "x> b");
        Assert.Equal(["a ", "<ex> b", ""], emitted);
        Assert.Null(stop);
    }

    [Fact]
    public void APartialStopAtTheEndIsFlushedAsText()
    {
        var (emitted, stop) = Feed(["</answer>"], "42 </ans");
        Assert.Equal(["42 ", "</ans"], emitted);
        Assert.Null(stop);
    }

    [Fact]
    public void TextAfterTheStopInTheSamePieceIsDropped()
    {
        var (emitted, stop) = Feed(["\n\n"], "line one\n\nline two");
        Assert.Equal(["line one"], emitted);
        Assert.Equal("\n\n", stop);
    }

    [Fact]
    public void OverlappingStopPrefixesAreMatchedWhereTheyStart()
    {
        // "aab" inside "aaab": the held-back "aa" must slide by one, not be dropped or emitted whole.
        var (emitted, stop) = Feed(["aab"], "a", "a", "a", "b");
        Assert.Equal("a", string.Concat(emitted));
        Assert.Equal("aab", stop);

        // "abab" inside "abababx" arriving a character at a time.
        (emitted, stop) = Feed(["abab"], "x", "a", "b", "a", "b", "a");
        Assert.Equal("x", string.Concat(emitted));
        Assert.Equal("abab", stop);
    }

    [Fact]
    public void TheStopThatStartsFirstWins()
    {
        var (emitted, stop) = Feed(["world", "lo w"], "hello world");
        Assert.Equal(["hel"], emitted);
        Assert.Equal("lo w", stop);

        // Same start: the one listed first.
        (emitted, stop) = Feed(["ab", "abc"], "xabc");
        Assert.Equal(["x"], emitted);
        Assert.Equal("ab", stop);
    }

    [Fact]
    public void AStopCompletedInAnEarlierPieceEndsTheTextEvenIfALongerOneCouldStillMatch()
    {
        // Generation ends at the token that completes a stop, as in llama-server; "abcd" never gets its chance.
        var (emitted, stop) = Feed(["abcd", "bc"], "a", "bc", "d");
        Assert.Equal("a", string.Concat(emitted));
        Assert.Equal("bc", stop);
    }

    [Fact]
    public void HoldsBackTheLongestPossibleStopPrefixAmongSeveral()
    {
        var matcher = new StopSequenceMatcher(["xyz", "yz!", "zzz"]);
        Assert.Equal("a", matcher.Append("axy")); // "xy" could begin "xyz"
        Assert.Equal("", matcher.Append("z"));
        Assert.Equal("xyz", matcher.StopSequence);

        matcher = new StopSequenceMatcher(["xyz", "yz!", "zzz"]);
        Assert.Equal("abc", matcher.Append("abczz")); // "zz" could begin "zzz"
        Assert.Equal("zz", matcher.Append("y"));      // now only "y" could begin a stop ("yz!")
        Assert.Equal("", matcher.Append("z!"));
        Assert.Equal("yz!", matcher.StopSequence);
    }

    [Fact]
    public void AStopAtTheVeryStartEmitsNothing()
    {
        var (emitted, stop) = Feed(["User:"], "User:", " hi");
        Assert.Equal([""], emitted);
        Assert.Equal("User:", stop);

        (emitted, stop) = Feed(["User:"], "Us", "er", ":");
        Assert.Equal("", string.Concat(emitted));
        Assert.Equal("User:", stop);
    }

    [Fact]
    public void UnicodeStopsMatchByCodeUnitsAndPairsStayWhole()
    {
        var (emitted, stop) = Feed(["。終わり"], "日本語です", "。終", "わり。続き");
        Assert.Equal("日本語です", string.Concat(emitted));
        Assert.Equal("。終わり", stop);

        // An emoji stop whose surrogate pair arrives split: the high surrogate waits for its partner.
        const string rocket = "🚀";
        (emitted, stop) = Feed([rocket + "!"], "go " + rocket[0], rocket[1] + "!");
        Assert.Equal(["go ", ""], emitted);
        Assert.Equal(rocket + "!", stop);

        // A split pair that is not a stop is still never emitted half at a time.
        var matcher = new StopSequenceMatcher(["zzz"]);
        Assert.Equal("hi ", matcher.Append("hi " + rocket[0]));
        Assert.Equal(rocket + " ok", matcher.Append(rocket[1] + " ok"));

        // Ordinal matching: a precomposed é is not "e" followed by a combining accent.
        (emitted, stop) = Feed(["e\u0301"], "caf\u00e9 ", "ok");
        Assert.Null(stop);
        Assert.Equal("caf\u00e9 ok", string.Concat(emitted));
    }

    [Fact]
    public void AppendAfterAStopIsAnError()
    {
        var matcher = new StopSequenceMatcher(["."]);
        Assert.Equal("Done", matcher.Append("Done. More"));
        Assert.True(matcher.IsStopped);
        Assert.Throws<InvalidOperationException>(() => matcher.Append("x"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void EmptyStopsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new StopSequenceMatcher(["ok", ""]));
        Assert.Throws<ArgumentException>(() => new StopSequenceMatcher([null!]));
    }

    [Fact]
    public void AnySplitOfTheTextGivesTheSameResult()
    {
        string[] stops = ["<|end|>", "\nUser", "ab", "🙂!"];
        var texts = new[]
        {
            "plain text without any stop at all",
            "reply text<|end|>more",
            "first line\nUser: hello",
            "a cab abs",
            "smile 🙂 then 🙂! done",
            "<|en|><|end",
        };
        var random = new Random(11);
        foreach (var text in texts)
        {
            var (expectedText, expectedStop) = Reference(text, stops);
            for (var trial = 0; trial < 200; trial++)
            {
                var pieces = new List<string>();
                for (var at = 0; at < text.Length;)
                {
                    var length = Math.Min(text.Length - at, random.Next(1, 5));
                    pieces.Add(text.Substring(at, length));
                    at += length;
                }
                var (emitted, stop) = Feed(stops, [.. pieces]);
                Assert.Equal(expectedText, string.Concat(emitted));
                Assert.Equal(expectedStop, stop);
            }
        }
    }

    /// <summary>The text before the earliest stop, and that stop (the first listed on a tie), over the whole text.</summary>
    private static (string Text, string? Stop) Reference(string text, string[] stops)
    {
        var best = (At: int.MaxValue, Stop: (string?)null);
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < best.At) best = (at, stop);
        }
        return best.Stop is null ? (text, null) : (text[..best.At], best.Stop);
    }
}
