using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Evaluation;
using Maple.Tests.Datasets;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Cli;

/// <summary>
/// <c>maple eval</c> without learned prompts is zero-shot CLIP: worded with <c>--template</c>/<c>--templates</c> when
/// given, with a benchmark's own template for <c>--dataset</c>; the logits it writes are checked against ones computed here.
/// </summary>
public sealed class EvalTemplateTests
{
    [Fact]
    public async Task TemplateIsHonoured()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        const string template = "a blurry photo of the {}.";
        Assert.Equal(0, await Maple.Cli.MapleCommandLine.InvokeAsync(
            ["eval", "--model", Fixtures.TinyMapleModel, "--data", data, "--template", template, "--output", temp["r.json"], "--logits", temp["logits.safetensors"], "--precision", "fp32"]));

        using var json = JsonDocument.Parse(File.ReadAllText(temp["r.json"]));
        Assert.Equal(template, json.RootElement.GetProperty("templates").GetString());
        Assert.Equal("a blurry photo of the astronaut.", json.RootElement.GetProperty("prompt_example").GetString());
        await AssertLogitsAsync(temp["logits.safetensors"], DatasetSource.Open(data), [template]);
    }

    [Fact]
    public async Task ABenchmarkDatasetGetsItsOwnTemplateAndSetsEnsembleWithSingleTemplates()
    {
        using var temp = new TempFolder();
        using var mini = new MiniRoot();
        MiniBenchmarks.EuroSat(mini);
        Assert.Equal(0, await Maple.Cli.MapleCommandLine.InvokeAsync(
            ["eval", "--model", Fixtures.TinyMapleModel, "--data-root", mini.Root, "--dataset", "eurosat", "--output", temp["r.json"], "--logits", temp["logits.safetensors"], "--precision", "fp32"]));
        using (var json = JsonDocument.Parse(File.ReadAllText(temp["r.json"])))
            Assert.Equal("a centered satellite photo of {}.", json.RootElement.GetProperty("templates").GetString());
        var test = BenchmarkDatasets.Open(mini.Root, "EuroSAT", "test");
        await AssertLogitsAsync(temp["logits.safetensors"], test, ["a centered satellite photo of {}."]);

        // CoOp's prompt-ensembling zero-shot (ZeroshotCLIP2) on EuroSAT: its 7 selected templates and the dataset's own.
        Assert.Equal(0, await Maple.Cli.MapleCommandLine.InvokeAsync(
            ["eval", "--model", Fixtures.TinyMapleModel, "--data-root", mini.Root, "--dataset", "eurosat", "--templates", "imagenet-select",
             "--template", "a centered satellite photo of {}.", "--output", temp["e.json"], "--logits", temp["e.safetensors"], "--precision", "fp32"]));
        string[] ensemble = [.. Maple.Prompting.PromptTemplates.ImageNetSelect, "a centered satellite photo of {}."];
        using (var json = JsonDocument.Parse(File.ReadAllText(temp["e.json"])))
            Assert.Equal(string.Join(" | ", ensemble), json.RootElement.GetProperty("templates").GetString());
        await AssertLogitsAsync(temp["e.safetensors"], test, ensemble);
    }

    [Fact]
    public async Task TemplatesWithLearnedPromptsOrWithoutAPlaceholderAreRefused()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var (code, error) = await CliRunner.RunAsync(
            "eval", "--model", Fixtures.TinyMapleModel, "--data", data, "--prompts", temp["prompt.safetensors"], "--template", "a {}.", "--output", temp["r.json"]);
        Assert.Equal(1, code);
        Assert.Contains("--template", error);
        Assert.DoesNotContain("   at ", error);

        (code, error) = await CliRunner.RunAsync(
            "eval", "--model", Fixtures.TinyMapleModel, "--data", data, "--template", "a photo", "--output", temp["r.json"]);
        Assert.Equal(1, code);
        Assert.Contains("--template", error);
        Assert.Contains("{}", error);
    }

    /// <summary>exp(logit_scale) × cosine of plain CLIP features, the text features being CLIP's ensemble of the prompts formatted here.</summary>
    static async Task AssertLogitsAsync(string logitsFile, ImageDataset data, IReadOnlyList<string> templates)
    {
        using var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = clip.Model;
        var images = new FeatureExtractor(clip).ImageFeatures(data.Items.Select(i => i.Path).ToList(), normalize: true);
        var sum = zeros(data.ClassNames.Count, model.Config.EmbedDim);
        foreach (var template in templates)
        {
            var prompts = data.ClassNames.Select(c => template.Replace("{}", c.Replace('_', ' '))).ToList();
            var text = model.EncodeText(clip.Tokenizer.Tokenize(prompts, model.Config.Text.ContextLength));
            sum += text / text.norm(-1, keepdim: true);
        }
        var mean = sum / templates.Count;
        var expected = model.LogitScale.exp() * images.matmul((mean / mean.norm(-1, keepdim: true)).t());
        using var file = SafetensorsFile.Open(logitsFile);
        TensorAssert.RelativeClose(expected, file.Read("logits"), 1e-5, "zero-shot logits");
    }
}
