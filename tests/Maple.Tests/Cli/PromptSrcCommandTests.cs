using System.Text.Json;
using Maple.Data;
using Maple.Evaluation.Protocols;
using Maple.Prompting;
using Maple.Tests.Protocols;
using Maple.Tests.Training;

namespace Maple.Tests.Cli;

/// <summary><c>--method promptsrc</c> through train, eval, import and benchmark, in-process on the tiny CLIP.</summary>
public sealed class PromptSrcCommandTests
{
    [Fact]
    public async Task TrainThenEvaluate()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var (code, error) = await CliRunner.RunAsync("train", "--model", Fixtures.TinyMapleModel, "--data", data, "--output", temp["run"],
            "--method", "promptsrc", "--depth", "3", "--epochs", "2", "--batch-size", "3", "--precision", "fp32");
        Assert.True(code == 0, error);

        using (var prompts = PromptCheckpoint.Read(temp["run/prompt.safetensors"]))
        {
            Assert.Equal(PromptConfig.PromptSrc(4, 4, 3), prompts.Config);
            using var training = JsonDocument.Parse(prompts.Metadata["training"]);
            Assert.Equal(25, training.RootElement.GetProperty("src_text_weight").GetDouble());
            Assert.Equal(15, training.RootElement.GetProperty("gpa_mean").GetDouble());
        }
        var log = File.ReadAllText(temp["run/train.log"]);
        Assert.Contains("self-regularisation (text 25, image 10, logits 1): frozen text features of 3 classes over 60 templates", log);
        Assert.Contains("final prompts: the Gaussian prompt aggregate (μ 15, σ 1) over 2 epochs", log);

        (code, error) = await CliRunner.RunAsync("eval", "--model", Fixtures.TinyMapleModel, "--prompts", temp["run/prompt.safetensors"],
            "--data", data, "--output", temp["eval.json"], "--precision", "fp32");
        Assert.True(code == 0, error);
        using var results = JsonDocument.Parse(File.ReadAllText(temp["eval.json"]));
        Assert.InRange(results.RootElement.GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task TrainOnABenchmarkTakesTheFewShotAggregationOfThatDataset()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("train", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root, "--dataset", "eurosat",
            "--shots", "1", "--method", "promptsrc-few-shot", "--depth", "2", "--epochs", "1", "--output", temp["run"], "--precision", "fp32");
        Assert.True(code == 0, error);
        using var prompts = PromptCheckpoint.Read(temp["run/prompt.safetensors"]);
        using var training = JsonDocument.Parse(prompts.Metadata["training"]);
        Assert.Equal((45.0, 5.0), (training.RootElement.GetProperty("gpa_mean").GetDouble(), training.RootElement.GetProperty("gpa_std").GetDouble()));
    }

    [Fact]
    public async Task ImportReadsTheAuthorsCheckpoint()
    {
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("import", Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "import", "authors-promptsrc.pth.tar-3"),
            "--output", temp["imported.safetensors"], "--model", Fixtures.TinyMapleModel);
        Assert.True(code == 0, error);
        using var prompts = PromptCheckpoint.Read(temp["imported.safetensors"]);
        Assert.Equal(PromptMethod.PromptSrc, prompts.Config.Method);
    }

    [Fact]
    public async Task BenchmarkRunsItsProtocolPresets()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("benchmark", "base2novel", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root,
            "--datasets", "eurosat", "--method", "promptsrc", "--depth", "2", "--seeds", "1", "--epochs", "1", "--out", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);
        var markdown = File.ReadAllText(temp["out/base2novel.md"]);
        Assert.Contains("| promptsrc | ", markdown);
        Assert.Matches(@"\| promptsrc \| [^|]+ \| [^|]+ \| [^|]+ \|  \|", markdown); // no published per-dataset row for PromptSRC
        Assert.EndsWith("self-regularisation text 25 image 10 logits 1, GPA μ 15, σ 1", Training(temp["out/base2novel/promptsrc/EuroSAT/shots16-seed1/result.json"]));

        // Few-shot runs PromptSRC's few-shot config, with its EuroSAT aggregation (μ 45, σ 5).
        (code, error) = await CliRunner.RunAsync("benchmark", "few-shot", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root,
            "--datasets", "eurosat", "--method", "promptsrc", "--depth", "2", "--seeds", "1", "--shots", "1", "--epochs", "1", "--out", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);
        Assert.Equal("1 epochs, batch 4, lr 0.0025, self-regularisation text 25 image 10 logits 1, GPA μ 45, σ 5",
            Training(temp["out/few-shot/promptsrc/EuroSAT/shots1-seed1/result.json"]));
        Assert.True(File.Exists(Path.Combine(BenchmarkRunner.TrainingFolder(temp["out"], "promptsrc-few-shot", "EuroSAT", Subset.All, 1, 1), "prompt.safetensors")));
        Assert.Contains("promptsrc trains as promptsrc-few-shot, its authors' config for this protocol", File.ReadAllText(temp["out/few-shot.md"]));
    }

    static string Training(string cell)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(cell));
        return json.RootElement.GetProperty("Recipe").GetProperty("training").GetString()!;
    }
}
