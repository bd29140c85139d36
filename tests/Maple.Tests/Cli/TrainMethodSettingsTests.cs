using Maple.Tests.Protocols;
using Maple.Tests.Training;

namespace Maple.Tests.Cli;

/// <summary><c>maple train</c> builds its method through the same <see cref="Maple.Training.MethodPreset.Adapt"/> as the benchmark.</summary>
public sealed class TrainMethodSettingsTests
{
    [Theory]
    [InlineData("coop", "--depth", "3", "error: coop: coop prompts the input only, so its prompt depth cannot be set (deep-language and ivlp learn deep prompts)")]
    [InlineData("cocoop", "--n-ctx-vision", "2", "error: cocoop: cocoop learns no vision tokens, so their number cannot be set")]
    [InlineData("vpt-deep", "--n-ctx", "4", "error: vpt-deep: vpt-deep learns no text tokens, so their number cannot be set")]
    [InlineData("deep-language", "--n-ctx-vision", "2", "error: deep-language: deep-language learns no vision tokens, so their number cannot be set")]
    public async Task ASettingTheMethodDoesNotHaveIsOneLineAndTrainsNothing(string method, string option, string value, string expected)
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var (code, error) = await CliRunner.RunAsync(
            ["train", "--model", Fixtures.TinyMapleModel, "--data", data, "--output", temp["run"], "--method", method, option, value, "--precision", "fp32"]);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.Trim());
        Assert.False(File.Exists(temp["run/prompt.safetensors"]));
    }

    [Theory]
    // Base-class training is base-to-novel: MMRL's scripts train ImageNet with vit_b16_imagenet (batch 32, 5 epochs) and
    // config.py's REG_WEIGHT 0.5.
    [InlineData("mmrl", "imagenet", new[] { "--subset", "base" }, "mmrl-imagenet", "base2novel", "--subset base", 32, 5)]
    // PromptSRC's few-shot config (50 epochs), and its cross-dataset one (depth 3, 20 epochs).
    [InlineData("promptsrc", "eurosat", new[] { "--protocol", "few-shot" }, "promptsrc-few-shot", "few-shot", "--protocol", 4, 50)]
    [InlineData("promptsrc", "imagenet", new[] { "--protocol", "cross-dataset" }, "promptsrc-transfer", "cross-dataset", "--protocol", 4, 20)]
    // No protocol: the preset as named.
    [InlineData("mmrl", "imagenet", new string[0], "mmrl", "-", "default", 4, 10)]
    public async Task TrainTakesTheProtocolsPresetAsTheBenchmarkDoes(string method, string dataset, string[] protocol, string preset, string shown, string from,
        int batch, int epochs)
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, output, error) = await CliRunner.RunProcessAsync(
            ["train", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root, "--dataset", dataset, .. protocol, "--method", method, "--depth", "2",
                "-o", temp["run"], "--dry-run"],
            new Dictionary<string, string> { ["COLUMNS"] = "200" });
        Assert.True(code == 0, error);
        Assert.Contains($"recipe of {preset} for a backbone", output);
        Assert.Matches($@"│ protocol +│ {shown} +│ {from} +│", output);
        Assert.Matches($@"│ batch_size +│ {batch} +│ preset {preset} +│", output);
        Assert.Matches($@"│ epochs +│ {epochs} +│ preset {preset} +│", output);
    }

    [Fact]
    public async Task AProtocolAndASubsetThatDisagreeAreOneLine()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync(["train", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root, "--dataset", "eurosat",
            "--protocol", "few-shot", "--subset", "base", "--method", "promptsrc", "--output", temp["run"], "--dry-run"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --protocol few-shot trains on all classes (--subset all), not --subset base", error.Trim());
        (code, error) = await CliRunner.RunAsync(["train", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root, "--dataset", "eurosat",
            "--protocol", "zero-shot", "--output", temp["run"], "--dry-run"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --protocol: unknown protocol 'zero-shot': expected one of base2novel, few-shot, cross-dataset", error.Trim());
    }
}
