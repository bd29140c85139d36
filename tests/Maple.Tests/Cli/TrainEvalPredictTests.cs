using System.Text.Json;
using Maple.Cli;
using Maple.Clip.Safetensors;
using Maple.Tests.Training;

namespace Maple.Tests.Cli;

/// <summary>The train → eval → predict path from the command line, in-process, on real photos.</summary>
public sealed class TrainEvalPredictTests
{
    [Fact]
    public async Task TrainThenEvaluateThenPredict()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var model = Fixtures.TinyMapleModel;

        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["train", "--model", model, "--data", data, "--output", temp["run"], "--depth", "3", "--epochs", "2", "--batch-size", "3", "--precision", "fp32"]));
        var prompts = temp["run/prompt.safetensors"];
        Assert.True(File.Exists(prompts));

        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["eval", "--model", model, "--prompts", prompts, "--data", data, "--output", temp["eval/results.json"], "--logits", temp["eval/logits.safetensors"], "--precision", "fp32"]));
        using var results = JsonDocument.Parse(File.ReadAllText(temp["eval/results.json"]));
        var accuracy = results.RootElement.GetProperty("accuracy").GetDouble();
        Assert.Equal("fp32 (as requested)", results.RootElement.GetProperty("precision").GetString());
        Assert.Contains(File.ReadAllLines(temp["run/train.log"]), line => line.EndsWith(" precision: fp32 (as requested)", StringComparison.Ordinal));
        var perClass = results.RootElement.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(3, perClass.Count);
        Assert.Equal(accuracy, perClass.Average(c => c.GetProperty("accuracy").GetDouble()), 9); // 3 images in each class
        Assert.Equal(4, File.ReadAllLines(temp["eval/results.confusion.csv"]).Length);
        Assert.True(new FileInfo(temp["eval/results.confusion.png"]).Length > 1000);

        using var logits = SafetensorsFile.Open(temp["eval/logits.safetensors"]);
        Assert.Equal(new long[] { 9, 3 }, logits.Entries["logits"].Shape);
        using var labels = logits.Read("labels");
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 2, 2, 2 }, labels.data<long>().ToArray());
        using var scores = logits.Read("logits");
        var hits = scores.argmax(1).eq(labels).sum().item<long>();
        Assert.Equal(accuracy, hits / 9.0, 9);

        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["predict", "--model", model, "--prompts", prompts, "--top", "2", "--threads", "1", Path.Combine(data, "tabby_cat", "chelsea.png")]));
    }

    [Fact]
    public async Task FewShotBaseClassesThenNovelEvaluation()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var model = Fixtures.TinyMapleModel;

        // 3 classes: base is the first two (ceil(3/2)), novel the last; one shot each.
        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["train", "--model", model, "--data", data, "--shots", "1", "--subset", "base", "--output", temp["run"], "--depth", "3", "--epochs", "1", "--batch-size", "2", "--seed", "4"]));
        var shotsFile = temp["run/split_fewshot/shot_1-seed_4.json"];
        Assert.True(File.Exists(shotsFile));
        using (var prompts = Maple.Prompting.PromptCheckpoint.Read(temp["run/prompt.safetensors"]))
            Assert.Equal(["astronaut", "coffee cup"], prompts.ClassNames);
        Assert.Single(File.ReadAllLines(temp["run/train.jsonl"])); // two images, batch 2, one epoch

        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["eval", "--model", model, "--prompts", temp["run/prompt.safetensors"], "--data", data, "--subset", "novel", "--output", temp["novel.json"], "--precision", "fp32"]));
        using var results = JsonDocument.Parse(File.ReadAllText(temp["novel.json"]));
        Assert.Equal(["tabby cat"], results.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(1.0, results.RootElement.GetProperty("accuracy").GetDouble()); // one class: always right
    }

    [Fact]
    public async Task InputErrorsExitWithOneClearLine()
    {
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync(
            "eval", "--model", Fixtures.TinyMapleModel, "--data", temp["missing"], "--output", temp["r.json"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("missing", error);
        Assert.DoesNotContain("   at ", error);
    }
}
