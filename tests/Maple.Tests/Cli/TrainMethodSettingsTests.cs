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
}
