using Maple.Evaluation.Protocols;
using Maple.Training;

namespace Maple.Tests.Protocols;

/// <summary>How a benchmark's --depth, --n-ctx and --epochs change each preset.</summary>
public sealed class PresetOverrideTests
{
    [Fact]
    public void DepthChangesTheDeepPresetsOnly()
    {
        var settings = new BenchmarkSettings("", [], ["maple"], [1], "out") { Depth = 3 };
        foreach (var deep in new[] { "maple", "maple-transfer", "ivlp" })
            Assert.Equal((3, 3), (settings.Preset(deep, 16).Prompts.TextDepth, settings.Preset(deep, 16).Prompts.VisionDepth));
        Assert.Equal((3, 0), (settings.Preset("deep-language", 16).Prompts.TextDepth, settings.Preset("deep-language", 16).Prompts.VisionDepth));
        Assert.Equal((0, 3), (settings.Preset("vpt-deep", 16).Prompts.TextDepth, settings.Preset("vpt-deep", 16).Prompts.VisionDepth));
        foreach (var shallow in new[] { "coop", "cocoop", "zeroshot" })
            Assert.Equal(MethodPreset.Get(shallow).Prompts, settings.Preset(shallow, 16).Prompts);
    }

    [Fact]
    public void NCtxAndEpochsFollowTheirPresets()
    {
        var settings = new BenchmarkSettings("", [], ["maple"], [1], "out") { NCtx = 4, Epochs = 1 };
        Assert.Equal((4, 4), (settings.Preset("maple", 16).Prompts.TextTokens, settings.Preset("maple", 16).Prompts.VisionTokens));
        Assert.Equal((4, 2), (settings.Preset("ivlp", 16).Prompts.TextTokens, settings.Preset("ivlp", 16).Prompts.VisionTokens));
        Assert.Equal((0, 8), (settings.Preset("vpt-deep", 16).Prompts.TextTokens, settings.Preset("vpt-deep", 16).Prompts.VisionTokens));
        Assert.Equal(1, settings.Preset("coop", 16).Options.Epochs);
        Assert.Equal(200, new BenchmarkSettings("", [], ["coop"], [1], "out").Preset("coop", 16).Options.Epochs);
        Assert.Equal(50, new BenchmarkSettings("", [], ["coop"], [1], "out").Preset("coop", 1).Options.Epochs);
        Assert.Equal(["learned text tokens set to 4 (overridden; MaPLe's coupled vision tokens follow)", "training epochs set to 1 (overridden; not the paper's recipe)"],
            settings.DescribeOverrides());
    }
}
