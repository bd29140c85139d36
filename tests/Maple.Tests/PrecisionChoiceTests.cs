using Maple.Clip;

namespace Maple.Tests;

/// <summary>What --precision resolves to, and the reason recorded beside it.</summary>
public sealed class PrecisionChoiceTests
{
    [Theory]
    [InlineData(Precision.Fp32, "fp32 (as requested)")]
    [InlineData(Precision.Bf16, "bf16 (as requested)")]
    public void ExplicitPrecision_IsKeptAsRequested(Precision requested, string shown)
    {
        var choice = PrecisionSupport.Choose(requested);

        Assert.Equal(requested, choice.Resolved);
        Assert.Equal(shown, choice.ToString());
    }

    [Fact]
    public void Auto_ChoosesBf16ExactlyWhereTheKernelListsANativeBf16Flag_AndSaysSo()
    {
        var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ', '\t', ':');
        var native = flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");

        var choice = PrecisionSupport.Choose(Precision.Auto);

        Assert.Equal(Precision.Auto, choice.Requested);
        Assert.Equal(native ? "bf16 (auto: this CPU has native bf16)" : "fp32 (auto: this CPU has no native bf16)", choice.ToString());
    }

    [Fact]
    public void Model_RecordsTheChoiceItWasBuiltWith()
    {
        var config = new ClipConfig(
            new ClipTextConfig(16, 8, 1, 1, 16, 4, "gelu", 1e-5),
            new ClipVisionConfig(8, 1, 1, 16, 8, 4, "gelu", 1e-5),
            EmbedDim: 4);
        using var model = new ClipModel(config, Precision.Auto);

        Assert.Equal(PrecisionSupport.Choose(Precision.Auto), model.PrecisionChoice);
        Assert.Equal(model.PrecisionChoice.Resolved, model.Precision);
    }
}
