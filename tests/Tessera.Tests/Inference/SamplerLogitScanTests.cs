// LogitScan's vector path against its scalar reference for every length from 0 to 300, with NaN and −infinity placed
// anywhere, including the scalar tail.

using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplerLogitScanTests
{
    [Fact]
    public void VectorPathMatchesScalarForEveryLength()
    {
        var random = new Random(5);
        for (var length = 0; length <= 300; length++)
        {
            var logits = new float[length];
            for (var i = 0; i < length; i++) logits[i] = (float)(random.NextDouble() * 40 - 20);
            Check(logits);
            if (length == 0) continue;
            var at = random.Next(length);
            var saved = logits[at];
            logits[at] = float.NegativeInfinity;
            Check(logits);
            logits[random.Next(length)] = float.NaN;
            Check(logits, nanExpected: true);
            Array.Fill(logits, float.NegativeInfinity);
            Check(logits);
            logits[at] = saved;
            Check(logits);
        }
    }

    private static void Check(float[] logits, bool nanExpected = false)
    {
        var expected = LogitScan.Scalar(logits, out var nan, out var banned);
        var actual = LogitScan.Max(logits, out var vectorNan, out var vectorBanned);
        Assert.Equal(nan, vectorNan);
        Assert.Equal(nanExpected, vectorNan);
        Assert.Equal(banned, vectorBanned);
        if (!nan) Assert.Equal(expected, actual);
    }
}
