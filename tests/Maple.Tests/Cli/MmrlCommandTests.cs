using System.Text.Json;
using Maple.Cli;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Import;
using Maple.Tests.Prompting;
using Maple.Tests.Protocols;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Cli;

/// <summary>MMRL from the command line (train, eval with each readout, benchmark) and its authors' checkpoints through import.</summary>
public sealed class MmrlCommandTests
{
    /// <summary>MMRL trained on the base classes of three photo classes; returns the data folder and the prompts file.</summary>
    static async Task<(string Data, string Prompts)> TrainOnBaseClasses(TempFolder temp, params string[] settings)
    {
        var data = PhotoFolder.Create(temp["data"]);
        // The tiny model has 3 layers: the representation tokens go into its last 2.
        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["train", "--model", Fixtures.TinyMapleModel, "--data", data, "--subset", "base", "--method", "mmrl", "--depth", "2", "--batch-size", "2",
             .. settings, "--output", temp["run"], "--precision", "fp32"]));
        return (data, temp["run/prompt.safetensors"]);
    }

    [Fact]
    public async Task TrainOnBaseClassesThenEvaluateBaseFusedAndNovelByClassToken()
    {
        using var temp = new TempFolder();
        var (data, prompts) = await TrainOnBaseClasses(temp, "--epochs", "2", "--mmrl-lambda", "0.5");
        var model = Fixtures.TinyMapleModel;
        using (var saved = PromptCheckpoint.Read(prompts))
        {
            Assert.Equal(PromptMethod.Mmrl, saved.Config.Method);
            Assert.Equal((2, 512, 0.7, "a photo of a {}."), (saved.Config.TextDepth, saved.Config.RepresentationDim, saved.Config.ClassTokenWeight, saved.Config.TextTemplate));
            Assert.Contains("\"optimizer\":\"adamw\"", saved.Metadata["training"]);
            Assert.Contains("\"mmrl_reg_weight\":0.5", saved.Metadata["training"]);
            Assert.Contains("\"crop_min_scale\":0.5", saved.Metadata["training"]);
        }

        // auto: the base classes were trained on (fused logits), the novel class was not (class-token logits).
        foreach (var (subset, readout) in new[] { ("base", "Fused"), ("novel", "ClassToken") })
        {
            Assert.Equal(0, await MapleCommandLine.InvokeAsync(
                ["eval", "--model", model, "--prompts", prompts, "--data", data, "--subset", subset, "--output", temp[$"{subset}/results.json"],
                 "--logits", temp[$"{subset}/logits.safetensors"], "--precision", "fp32"]));
            using var results = JsonDocument.Parse(File.ReadAllText(temp[$"{subset}/results.json"]));
            Assert.Equal(readout, results.RootElement.GetProperty("mmrl_logits").GetString());
        }

        // The base logits are α·class-token + (1 − α)·representation of the same images: check that mix against the
        // class-token and representation logits that --mmrl-logits asks for explicitly.
        foreach (var choice in new[] { "class-token", "representation" })
        {
            Assert.Equal(0, await MapleCommandLine.InvokeAsync(
                ["eval", "--model", model, "--prompts", prompts, "--data", data, "--subset", "base", "--mmrl-logits", choice,
                 "--output", temp[$"{choice}/results.json"], "--logits", temp[$"{choice}/logits.safetensors"], "--precision", "fp32"]));
        }
        using var fused = SafetensorsFile.Open(temp["base/logits.safetensors"]);
        using var classToken = SafetensorsFile.Open(temp["class-token/logits.safetensors"]);
        using var representation = SafetensorsFile.Open(temp["representation/logits.safetensors"]);
        TensorAssert.RelativeClose(0.7 * classToken.Read("logits") + 0.3 * representation.Read("logits"), fused.Read("logits"), 1e-5, "fused logits");
        Assert.False(classToken.Read("logits").allclose(representation.Read("logits")));

        var (code, error) = await CliRunner.RunAsync("eval", "--model", model, "--prompts", prompts, "--data", data, "--mmrl-logits", "both");
        Assert.Equal(1, code);
        Assert.Contains("--mmrl-logits must be auto, fused, class-token or representation, not 'both'", error);
    }

    [Fact]
    public async Task PredictAndTheLibraryScoreAsEvaluationDoes()
    {
        using var temp = new TempFolder();
        var (data, prompts) = await TrainOnBaseClasses(temp, "--epochs", "1");
        var model = Fixtures.TinyMapleModel;
        using var clip = await ClipBackbone.LoadAsync(model, Precision.Fp32);

        // Every class, one of them new to the prompts (class-token logits), and the trained classes alone (fused).
        foreach (var (subset, readout) in new[] { ("all", MmrlReadout.ClassToken), ("base", MmrlReadout.Fused) })
        {
            var scored = DatasetSource.Open(data, "test");
            if (subset == "base")
                scored = BaseNovelSplit.Subsample(scored, Subset.Base);
            var paths = scored.Items.Select(i => i.Path).ToList();
            Assert.Equal(0, await MapleCommandLine.InvokeAsync(
                ["eval", "--model", model, "--prompts", prompts, "--data", data, "--subset", subset, "--output", temp[$"{subset}/results.json"],
                 "--logits", temp[$"{subset}/logits.safetensors"], "--precision", "fp32"]));
            using var evaluated = SafetensorsFile.Open(temp[$"{subset}/logits.safetensors"]);
            using var expected = evaluated.Read("logits");

            // The library: the file's own rule picks the readout the evaluation used.
            using var classifier = clip.LoadClassifier(prompts, scored.ClassNames);
            Assert.Equal(readout, classifier.Readout);
            using var library = tensor(classifier.Predict(paths).SelectMany(p => p.Logits).ToArray(), [paths.Count, scored.ClassNames.Count]);
            TensorAssert.RelativeClose(expected, library, 1e-5, $"{subset}: library logits");

            // The command line: predict over the same classes and images.
            Assert.Equal(0, await MapleCommandLine.InvokeAsync(
                ["predict", "--model", model, "--prompts", prompts, .. scored.ClassNames.SelectMany(c => new[] { "--class", c }),
                 "--output", temp[$"{subset}/predictions.json"], "--precision", "fp32", .. paths]));
            using var predicted = JsonDocument.Parse(File.ReadAllText(temp[$"{subset}/predictions.json"]));
            var byPath = predicted.RootElement.GetProperty("images").EnumerateArray()
                .ToDictionary(i => i.GetProperty("path").GetString()!, i => i.GetProperty("logits").EnumerateArray().Select(l => l.GetSingle()).ToArray());
            using var command = tensor(paths.SelectMany(p => byPath[Path.GetFullPath(p)]).ToArray(), [paths.Count, scored.ClassNames.Count]);
            TensorAssert.RelativeClose(expected, command, 1e-5, $"{subset}: predict's logits");
        }

        // The readouts differ on these prompts, so the comparisons above could tell them apart.
        using var fused = clip.LoadClassifier(prompts, ["astronaut", "coffee cup", "tabby cat"], MmrlReadout.Fused);
        using var classToken = clip.LoadClassifier(prompts, ["astronaut", "coffee cup", "tabby cat"]);
        using var pixels = fused.Transform.Load(Path.Combine(data, "astronaut", "astronaut.png")).unsqueeze(0);
        using var fusedLogits = fused.Logits(pixels);
        using var classTokenLogits = classToken.Logits(pixels);
        Assert.False(fusedLogits.allclose(classTokenLogits, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public async Task BenchmarkBase2NovelRunsMmrlWithItsAuthorsPerDatasetConfig()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("benchmark", "base2novel", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root,
            "--datasets", "eurosat", "--method", "mmrl", "--depth", "2", "--seeds", "1", "--epochs", "1", "--out", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);
        using var cell = JsonDocument.Parse(File.ReadAllText(temp["out/base2novel/mmrl/EuroSAT/shots16-seed1/result.json"]));
        // EuroSAT: REP_DIM 2048 and REG_WEIGHT 0.01 (the authors' config.py), its own template.
        Assert.Contains("AdamW, lambda 0.01, rep_dim 2048", cell.RootElement.GetProperty("Recipe").GetProperty("training").GetString());
        using (var prompts = PromptCheckpoint.Read(temp["out/training/mmrl/EuroSAT/base/shots16-seed1/prompt.safetensors"]))
            Assert.Equal("a centered satellite photo of {}.", prompts.Config.TextTemplate);
        var markdown = File.ReadAllText(temp["out/base2novel.md"]);
        Assert.Contains("| mmrl | ", markdown);
    }

    [Fact]
    public async Task ImportedAuthorsCheckpointEvaluatesByClassTokenWhenItsClassesAreUnknown()
    {
        using var temp = new TempFolder();
        var data = PhotoFolder.Create(temp["data"]);
        var prompts = temp["imported.safetensors"];
        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["import", ImportTestData.File("authors-mmrl.pth.tar-3"), "--model", Fixtures.TinyMapleModel, "--output", prompts]));
        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["eval", "--model", Fixtures.TinyMapleModel, "--prompts", prompts, "--data", data, "--output", temp["eval/results.json"], "--precision", "fp32"]));
        using var results = JsonDocument.Parse(File.ReadAllText(temp["eval/results.json"]));
        // The file records no training classes, so none of the scored classes is known to be a base class.
        Assert.Equal("ClassToken", results.RootElement.GetProperty("mmrl_logits").GetString());
        Assert.Equal("mmrl", results.RootElement.GetProperty("method").GetString());
    }

    [Fact]
    public void AuthorsCheckpointImportsTheTrainedRepresentationLearner()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        using (var imported = AuthorCheckpointImporter.Import(ImportTestData.File("authors-mmrl.pth.tar-3"), output, new AuthorImportOptions()))
        {
            Assert.Equal(PromptConfig.Mmrl(tokens: 5, depth: 2, representationDim: 32), imported.Config);
            Assert.Equal(3L, imported.Epoch);
            Assert.Equal((128, 192, 64), (imported.Widths.Text!.Value, imported.Widths.Vision!.Value, imported.Widths.Embed!.Value));
            Assert.Equal(["prompt_embeddings"], imported.Entries.Where(e => e.Dropped == "class-dependent buffer (rebuilt from the class names)").Select(e => e.Name));
            Assert.Equal(3, imported.Entries.Count(e => e.Dropped == "frozen backbone"));
        }

        // The trainer's parameters after its 3 steps (the parity fixture's final values), under the same names.
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "parity", "mmrl.safetensors"));
        using var checkpoint = PromptCheckpoint.Read(output);
        using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        Assert.Equal(expected.Entries.Keys.Where(k => k.StartsWith("final.", StringComparison.Ordinal)).Select(k => k["final.".Length..]).Order(),
            learner.Parameters.Select(p => p.Name).Order());
        foreach (var (name, value) in learner.Parameters)
            Assert.True(expected.Read($"final.{name}").equal(value).all().item<bool>(), $"{name} differs from the authors' trained value");
    }
}
