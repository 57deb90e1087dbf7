// SamplingOptions: gpt-oss's recommended defaults, and Validate's refusal of settings that cannot work, naming them.

using Tessera.Inference;

namespace Tessera.Tests.Inference;

public class SamplingOptionsTests
{
    [Fact]
    public void DefaultsAreGptOssRecommendations()
    {
        var options = new SamplingOptions();
        Assert.Equal(1.0f, options.Temperature);
        Assert.Equal(0, options.TopK);
        Assert.Equal(1.0f, options.TopP);
        Assert.Equal(0f, options.MinP);
        Assert.Equal(1.0f, options.RepeatPenalty);
        Assert.Equal(0f, options.PresencePenalty);
        Assert.Equal(0f, options.FrequencyPenalty);
        Assert.Equal(64, options.PenaltyLastN);
        Assert.Empty(options.LogitBias);
        Assert.Null(options.Seed);
        options.Validate();
        SamplingOptions.Greedy.Validate();
    }

    public static TheoryData<SamplingOptions, string> Invalid() => new()
    {
        { new() { Temperature = -0.1f }, "Temperature must be a finite number >= 0" },
        { new() { Temperature = float.NaN }, "Temperature" },
        { new() { Temperature = float.PositiveInfinity }, "Temperature" },
        { new() { TopK = -1 }, "TopK must be >= 0" },
        { new() { TopP = 0 }, "TopP must be in (0, 1]" },
        { new() { TopP = 1.01f }, "TopP" },
        { new() { TopP = float.NaN }, "TopP" },
        { new() { MinP = -0.01f }, "MinP must be in [0, 1]" },
        { new() { MinP = 1.5f }, "MinP" },
        { new() { MinP = float.NaN }, "MinP" },
        { new() { RepeatPenalty = 0 }, "RepeatPenalty must be a finite number > 0" },
        { new() { RepeatPenalty = -1 }, "RepeatPenalty" },
        { new() { RepeatPenalty = float.NaN }, "RepeatPenalty" },
        { new() { PresencePenalty = float.NaN }, "PresencePenalty must be a finite number" },
        { new() { FrequencyPenalty = float.NegativeInfinity }, "FrequencyPenalty must be a finite number" },
        { new() { PenaltyLastN = -2 }, "PenaltyLastN must be >= -1" },
        { new() { LogitBias = null! }, "LogitBias must not be null" },
        { new() { LogitBias = new Dictionary<int, float> { [-3] = 1 } }, "token id -3" },
        { new() { LogitBias = new Dictionary<int, float> { [7] = float.NaN } }, "for token 7 is NaN" },
        { new() { LogitBias = new Dictionary<int, float> { [7] = float.PositiveInfinity } }, "-infinity to ban" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void ValidateRejectsImpossibleValuesNamingThem(SamplingOptions options, string message)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(message, error.Message);
        // The sampler validates too.
        Assert.Throws<ArgumentException>(() => new Sampler(options, 16));
    }

    [Fact]
    public void EdgeValuesAreAccepted()
    {
        new SamplingOptions
        {
            Temperature = 0, TopK = 1, TopP = 1e-9f, MinP = 1, RepeatPenalty = 0.5f, PresencePenalty = -2,
            FrequencyPenalty = 2, PenaltyLastN = -1, LogitBias = new Dictionary<int, float> { [0] = float.NegativeInfinity },
            Seed = ulong.MaxValue,
        }.Validate();
    }
}
