using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Evaluation;
using Maple.Prompting;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Cli;

/// <summary>A run trained once by the built <c>maple</c>, on three classes of three photos, for the tests that need learned prompts.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    readonly TempFolder _temp = new();

    public TrainedRunFixture()
    {
        Data = PhotoFolder.Create(_temp["data"]);
        Run = _temp["run"];
        var (code, _, error) = CliRunner.RunProcessAsync("train", "--model", Fixtures.TinyMapleModel, "--data", Data, "--output", Run,
            "--depth", "3", "--epochs", "2", "--batch-size", "3", "--precision", "fp32", "--threads", "1").GetAwaiter().GetResult();
        if (code != 0)
            throw new InvalidOperationException($"training failed ({code}): {error}");
        using var prompts = PromptCheckpoint.Read(Path.Combine(Run, "prompt.safetensors"));
        ClassNames = prompts.ClassNames!;
    }

    public string Data { get; }

    public string Run { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// The command surfaces, run as a user runs them: the built <c>maple</c> in a child process. One vocabulary (positional
/// images, --class per name, -o/--output checked before any work), old spellings that still work with a note, errors
/// of two lines with the usage, help that says <c>maple</c>, and the new outputs (predict files, embed under prompts,
/// top-5, the dry run).
/// </summary>
public sealed class CommandSurfaceTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    static readonly string Model = Fixtures.TinyMapleModel;

    static string Image(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public async Task ClassFlagsTakeOneNameEachSoTheImagePathStaysAnArgument()
    {
        using var temp = new TempFolder();
        var photo = Image("chelsea.png");

        var (code, output, error) = await CliRunner.RunProcessAsync("predict", "--model", Model, "--class", "red circle", "--class", "blue star", photo,
            "--output", temp["p.json"], "--precision", "fp32", "--threads", "1");

        Assert.True(code == 0, error);
        Assert.Contains("blue star", output);
        using var json = JsonDocument.Parse(File.ReadAllText(temp["p.json"]));
        Assert.Equal(["red circle", "blue star"], json.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        var image = Assert.Single(json.RootElement.GetProperty("images").EnumerateArray());
        Assert.Equal(photo, image.GetProperty("path").GetString());

        // Zero-shot CLIP's logits, computed here: exp(logit_scale) x cosine of the image and "a photo of a {class}.".
        using var clip = await PretrainedClip.LoadAsync(Model, Precision.Fp32);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var images = new FeatureExtractor(clip).ImageFeatures([photo], normalize: true);
        var texts = clip.Model.EncodeText(clip.Tokenizer.Tokenize(["a photo of a red circle.", "a photo of a blue star."], clip.Model.Config.Text.ContextLength));
        var expected = clip.Model.LogitScale.exp() * images.matmul((texts / texts.norm(-1, keepdim: true)).t());
        var logits = image.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        TensorAssert.RelativeClose(expected, tensor(logits).reshape(1, 2), 1e-4, "predict logits");
    }

    [Fact]
    public async Task PredictTakesARunFolderAndImageFoldersAndWritesCsvAsEvalScoresThem()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunProcessAsync("predict", "--model", Model, "--prompts", run.Run, run.Data, "--top", "2",
            "-o", temp["p.csv"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);
        (code, _, error) = await CliRunner.RunProcessAsync("eval", "--model", Model, "--prompts", run.Run, "--data", run.Data,
            "-o", temp["e.json"], "--logits", temp["e.safetensors"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);

        var csv = File.ReadAllLines(temp["p.csv"]);
        Assert.Equal(["path", "top1", "top1_probability", .. run.ClassNames], csv[0].Split(','));
        var rows = csv[1..].Select(l => l.Split(',')).ToDictionary(r => r[0]);
        var items = DatasetSource.Open(run.Data).Items;
        Assert.Equal(items.Count, rows.Count); // every image of every class folder
        using var file = SafetensorsFile.Open(temp["e.safetensors"]);
        using var evalLogits = file.Read("logits");
        for (var i = 0; i < items.Count; i++)
        {
            var row = rows[items[i].Path];
            var logits = row[3..].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            TensorAssert.RelativeClose(evalLogits[i], tensor(logits), 1e-4, $"logits of {items[i].Path}");
            Assert.Equal(run.ClassNames[evalLogits[i].argmax().item<long>() is var best ? (int)best : 0], row[1]);
        }
    }

    [Fact]
    public async Task EmbedUnderLearnedPromptsGivesTheFeaturesTheClassifierUses()
    {
        using var temp = new TempFolder();
        string[] texts = [.. run.ClassNames.SelectMany(c => new[] { "--text", c })];
        var (code, _, error) = await CliRunner.RunProcessAsync(["embed", "--model", Model, "--prompts", run.Run, run.Data, .. texts,
            "-o", temp["f.safetensors"], "--precision", "fp32", "--threads", "1"]);
        Assert.True(code == 0, error);
        (code, _, error) = await CliRunner.RunProcessAsync("eval", "--model", Model, "--prompts", run.Run, "--data", run.Data,
            "-o", temp["e.json"], "--logits", temp["e.safetensors"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);
        (code, _, error) = await CliRunner.RunProcessAsync("embed", "--model", Model, run.Data, "-o", temp["plain.safetensors"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);

        using var clip = await PretrainedClip.LoadAsync(Model, Precision.Fp32);
        using var scope = NewDisposeScope();
        using var features = SafetensorsFile.Open(temp["f.safetensors"]);
        using var plain = SafetensorsFile.Open(temp["plain.safetensors"]);
        using var evaluation = SafetensorsFile.Open(temp["e.safetensors"]);
        Assert.Equal(Path.Combine(run.Run, "prompt.safetensors"), features.Metadata["prompts"]);
        Assert.Equal(DatasetSource.Open(run.Data).Items.Select(i => i.Path), JsonSerializer.Deserialize<string[]>(features.Metadata[EmbeddingFile.ImagePathsKey]));
        var images = features.Read(EmbeddingFile.ImageFeaturesKey);
        var classes = features.Read(EmbeddingFile.TextFeaturesKey);
        // The logits eval scored are exp(logit_scale) x the cosines of these features: images under MaPLe's vision prompts,
        // class names worded by its learned context.
        var cosines = (images / images.norm(-1, keepdim: true)).matmul((classes / classes.norm(-1, keepdim: true)).t());
        TensorAssert.RelativeClose(evaluation.Read("logits"), clip.Model.LogitScale.exp().detach() * cosines, 1e-4, "logits from embedded features");
        Assert.True((images - plain.Read(EmbeddingFile.ImageFeaturesKey)).abs().max().item<float>() > 1e-3); // the vision prompts change the features
    }

    [Fact]
    public async Task EvalReportsTopFiveAccuracyOfItsLogits()
    {
        using var temp = new TempFolder();
        string[] photos = ["chelsea.png", "coffee.png", "rocket.jpg", "camera.png", "astronaut.png", "motorcycle_left.png", "hubble_deep_field.jpg", "wide_600x100.png"];
        string[] classes = ["cat", "cup", "rocket", "camera", "astronaut", "motorbike", "galaxy"];
        for (var i = 0; i < photos.Length; i++)
        {
            var folder = temp[$"data/{classes[i % classes.Length]}"];
            Directory.CreateDirectory(folder);
            File.Copy(Image(photos[i]), Path.Combine(folder, photos[i]));
        }

        var (code, output, error) = await CliRunner.RunProcessAsync("eval", "--model", Model, "--data", temp["data"], "-o", temp["r.json"],
            "--logits", temp["l.safetensors"], "--precision", "fp32", "--threads", "1");

        Assert.True(code == 0, error);
        using var file = SafetensorsFile.Open(temp["l.safetensors"]);
        using var logits = file.Read("logits");
        using var labels = file.Read("labels");
        using var top5 = logits.topk(5, 1).indexes;
        var expected = top5.eq(labels.unsqueeze(1)).any(1).to(ScalarType.Float64).mean().item<double>();
        using var json = JsonDocument.Parse(File.ReadAllText(temp["r.json"]));
        Assert.Equal(expected, json.RootElement.GetProperty("top5_accuracy").GetDouble(), 12);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"top-5 {100 * expected:F2}%"), output);
        Assert.True(json.RootElement.GetProperty("top5_accuracy").GetDouble() >= json.RootElement.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task OutputsOfTheWrongKindAreRefusedBeforeAnyWork()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["folder"]);
        File.WriteAllText(temp["file.txt"], "");
        var photo = Image("chelsea.png");
        (string[] Args, string Error)[] cases =
        [
            (["eval", "--model", Model, "--data", run.Data, "--output", temp["folder"]],
                $"error: -o/--output {temp["folder"]} is a folder; this command writes a file: give its path (e.g. {Path.Combine(temp["folder"], "results.json")})"),
            (["predict", "--model", Model, "--class", "cat", photo, "-o", temp["p.txt"]], $"error: -o/--output {temp["p.txt"]} must end in .json or .csv"),
            (["embed", "--model", Model, photo, "-o", temp["folder"]],
                $"error: -o/--output {temp["folder"]} is a folder; this command writes a file: give its path (e.g. {Path.Combine(temp["folder"], "results.json")})"),
            (["ood", "--model", Model, "--id", run.Data, "--ood", run.Data, "-o", temp["file.txt/ood.json"]],
                $"error: -o/--output: {temp["file.txt"]} is a file, so nothing can be written under it"),
            (["train", "--model", Model, "--data", run.Data, "-o", temp["file.txt"]],
                $"error: -o/--output {temp["file.txt"]} is a file; this command writes several files into a folder: give a folder"),
            (["benchmark", "few-shot", "--model", Model, "--data-root", temp["folder"], "-o", temp["file.txt"]],
                $"error: -o/--output {temp["file.txt"]} is a file; this command writes several files into a folder: give a folder"),
        ];
        foreach (var (args, expected) in cases)
        {
            var (code, output, error) = await CliRunner.RunProcessAsync(args);
            Assert.Equal(1, code);
            Assert.Equal(expected, Assert.Single(Lines(error)));
            Assert.Equal("", output); // refused before the model was loaded
        }
    }

    [Fact]
    public async Task OldSpellingsStillWorkWithAOneLineNote()
    {
        using var temp = new TempFolder();
        var photo = Image("chelsea.png");
        var (code, output, error) = await CliRunner.RunProcessAsync("zeroshot", "--model", Model, "--class", "cat", "--class", "dog", "--images", photo,
            "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Equal(["note: --images is deprecated and will be removed in the next release; use the image files and folders as arguments"], Lines(error));
        Assert.Contains("1 images, 2 classes", output);

        (code, _, error) = await CliRunner.RunProcessAsync("embed", "--model", Model, "-t", "a cat", "a dog", "-o", temp["t.safetensors"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Equal(["note: -t is deprecated and will be removed in the next release; use --text for each text, or --texts-file"], Lines(error));
        using (var file = SafetensorsFile.Open(temp["t.safetensors"]))
            Assert.Equal(["a cat", "a dog"], JsonSerializer.Deserialize<string[]>(file.Metadata[EmbeddingFile.TextsKey])!);

        File.WriteAllLines(temp["classes.txt"], ["a tabby cat", "a coffee cup", "an astronaut"]);
        Directory.CreateDirectory(temp["ood"]);
        File.Copy(Image("rocket.jpg"), temp["ood/rocket.jpg"]);
        (code, _, error) = await CliRunner.RunProcessAsync("ood", "--model", Model, "--id", run.Data, "--id-classes", temp["classes.txt"], "--ood", temp["ood"],
            "-o", temp["ood.json"], "--precision", "fp32", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Equal(["note: --id-classes is deprecated and will be removed in the next release; use --classes"], Lines(error));
        using (var json = JsonDocument.Parse(File.ReadAllText(temp["ood.json"])))
            Assert.Contains("a tabby cat", json.RootElement.GetRawText());

        // --out is still benchmark's output folder: the run gets as far as the missing data root.
        (code, _, error) = await CliRunner.RunProcessAsync("benchmark", "base2novel", "--model", Model, "--data-root", temp["none"], "--out", temp["bench"],
            "--datasets", "eurosat", "--precision", "fp32", "--threads", "1");
        Assert.Equal(1, code);
        var lines = Lines(error);
        Assert.Equal("note: --out is deprecated and will be removed in the next release; use -o/--output", lines[0]);
        Assert.StartsWith("error: ", lines[1]);
        Assert.True(Directory.Exists(temp["bench"])); // the folder it named was the one used
    }

    [Theory]
    [InlineData("predict", "maple predict --model <model> [options] <images>...", "predict", "--model", "M", "--top", "x", "photo.png")]
    [InlineData("predict", "maple predict --model <model> [options] <images>...", "predict", "--model", "M", "--class", "cat")]
    [InlineData("train", "maple train --model <model> --output <folder> [options]", "train", "--data", "d")]
    [InlineData("eval", "maple eval --model <model> [options]", "eval", "--model", "M", "--batch-size", "0")]
    [InlineData("zeroshot", "maple zeroshot --model <model> [options] [<images>...]", "zeroshot", "--model", "M", "--threads", "-5")]
    [InlineData("benchmark ood", "maple benchmark ood --id <id> --ood <ood>... --model <model> --output <folder> [options]", "benchmark", "ood", "--frobnicate")]
    public async Task ParseErrorsAreTheErrorAndTheUsageLine(string command, string usage, params string[] args)
    {
        var (code, output, error) = await CliRunner.RunProcessAsync(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        var lines = Lines(error);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Equal($"usage: {usage}; see 'maple {command} --help'", lines[1]);
        Assert.DoesNotContain("System.", error);
        Assert.DoesNotContain("Parameter", error);
        Assert.DoesNotContain("Maple.Cli", error);
    }

    [Fact]
    public async Task ParseErrorsSayWhatIsWrongInWords()
    {
        var (_, _, error) = await CliRunner.RunProcessAsync("predict", "--model", "M", "--class", "cat");
        Assert.Equal("error: missing <images>", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("train", "--data", "d");
        Assert.Equal("error: --model is required", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("predict", "--model", "M", "--top", "x", "photo.png");
        Assert.Equal("error: --top: 'x' is not a whole number", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("predict", "--model", "M", "--top");
        Assert.Equal("error: --top needs a value", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("predict", "--model", "M", "photo.png", "--lr", "3"); // not taken for two image paths
        Assert.Equal("error: unknown option --lr", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("eval", "--model", "M", "extra");
        Assert.Equal("error: unexpected argument 'extra'", Lines(error)[0]);
        (_, _, error) = await CliRunner.RunProcessAsync("benchmark");
        Assert.Equal("error: missing the command: base2novel, cross-dataset, domain-generalization, few-shot, ood", Lines(error)[0]);
    }

    [Fact]
    public async Task HelpSaysMapleShowsDefaultsAsTypedAndThePresetsOwn()
    {
        var wide = new Dictionary<string, string> { ["COLUMNS"] = "200" };
        var (code, train, _) = await CliRunner.RunProcessAsync(["train", "--help"], wide);
        Assert.Equal(0, code);
        Assert.Contains($"Usage:{Environment.NewLine}  maple train --model <model> --output <folder> [options]{Environment.NewLine}", train);
        Assert.Matches(new Regex(@"^  maple +5 +4 +0\.0035 +2 +9 +""a photo of a""$", RegexOptions.Multiline), train);
        Assert.Matches(new Regex(@"^  coop +200 +32 +0\.002 +16 +1 +""""$", RegexOptions.Multiline), train);
        Assert.Contains("coop with --shots K: 50 epochs for K up to 2, 100 epochs for K up to 8, 200 epochs above", train);
        Assert.Matches(new Regex(@"^  --threads <n> +libtorch threads \(default: all cores\)$", RegexOptions.Multiline), train);
        Assert.Matches(new Regex(@"^  --schedule <schedule> +cosine or constant \[default: cosine\]$", RegexOptions.Multiline), train);
        Assert.Matches(new Regex(@"^  --resume +continue the run in --output from its last checkpoint$", RegexOptions.Multiline), train);

        var (_, fewShot, _) = await CliRunner.RunProcessAsync(["benchmark", "few-shot", "--help"], wide);
        Assert.Matches(new Regex(@"^  --seeds <n>\.\.\. +seeds \[default: 1 2 3\]$", RegexOptions.Multiline), fewShot);
        Assert.Contains("[default: 1 2 4 8 16]", fewShot);
        Assert.DoesNotContain("--out ", fewShot); // an old spelling, out of sight

        var (_, predict, _) = await CliRunner.RunProcessAsync(["predict", "--help"], new Dictionary<string, string> { ["COLUMNS"] = "80" });
        foreach (var text in new[] { train, fewShot, predict })
        {
            Assert.DoesNotContain("Maple.Cli", text);
            Assert.DoesNotContain("|2|", text);
            Assert.DoesNotContain("(default: all cores) [default", text);
            Assert.DoesNotContain("[default: False]", text);
        }
        Assert.All(Lines(predict), line => Assert.True(line.Length <= 80, line));
        Assert.Contains("  <images>", predict);
    }

    [Fact]
    public async Task DataInspectTakesTheDataAsTrainDoes()
    {
        var (code, output, error) = await CliRunner.RunProcessAsync("data", "inspect", "--data", run.Data);
        Assert.True(code == 0, error);
        Assert.Contains("3 classes: astronaut, coffee cup, tabby cat", output);
        Assert.Equal(output, (await CliRunner.RunProcessAsync("data", "inspect", run.Data)).Output);
    }

    [Fact]
    public async Task DryRunPrintsTheResolvedRecipeAndTrainsNothing()
    {
        using var temp = new TempFolder();
        var (code, output, error) = await CliRunner.RunProcessAsync(["train", "--model", Model, "--data", run.Data, "-o", temp["run"], "--depth", "3", "--lr", "0.01", "--dry-run"],
            new Dictionary<string, string> { ["COLUMNS"] = "200" });

        Assert.True(code == 0, error);
        Assert.Matches(@"│ lr +│ 0\.01 +│ --lr +│", output);
        Assert.Matches(@"│ epochs +│ 5 +│ preset maple +│", output);
        Assert.Matches(@"│ depth +│ 3 +│ --depth +│", output);
        Assert.Matches(@"│ momentum +│ 0\.9 +│ default +│", output);
        Assert.Contains("recipe of maple for a backbone of 3 text and 3 vision layers", output);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public async Task ADepthBeyondTheBackboneNamesTheFlagAndTheLayerCount()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunProcessAsync("train", "--model", Model, "--data", run.Data, "-o", temp["run"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --depth must be at most 3 for this backbone (its encoders have 3 text and 3 vision layers); " +
            "maple's depth 9 is the paper's, for ViT-B/16's 12 layers (got 9)", Assert.Single(Lines(error)));

        (code, _, error) = await CliRunner.RunProcessAsync("train", "--model", Model, "--data", run.Data, "-o", temp["run"], "--method", "vpt-deep", "--depth", "4", "--dry-run");
        Assert.Equal(1, code);
        Assert.Equal("error: --depth must be at most 3 for this backbone (its encoders have 3 text and 3 vision layers) (got 4)", Assert.Single(Lines(error)));
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public async Task PromptsNamingAFolderWithoutFinalPromptsSaysWhatToGive()
    {
        using var temp = new TempFolder();
        var photo = Image("chelsea.png");
        Directory.CreateDirectory(temp["empty"]);
        var (code, _, error) = await CliRunner.RunProcessAsync("predict", "--model", Model, "--prompts", temp["empty"], photo);
        Assert.Equal(1, code);
        Assert.Equal($"error: --prompts {temp["empty"]} is a folder without prompt.safetensors: give a finished training run's folder or a prompts file", Assert.Single(Lines(error)));

        var unfinished = temp["unfinished"];
        var checkpoints = Path.Combine(unfinished, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        foreach (var file in Directory.GetFiles(Path.Combine(run.Run, "checkpoints")))
            File.Copy(file, Path.Combine(checkpoints, Path.GetFileName(file)));
        (code, _, error) = await CliRunner.RunProcessAsync("predict", "--model", Model, "--prompts", unfinished, photo);
        Assert.Equal(1, code);
        Assert.Equal($"error: --prompts {unfinished}: the run has not finished (no prompt.safetensors); give its latest checkpoint, " +
            $"{Path.Combine(checkpoints, "epoch-002.safetensors")}, or resume it", Assert.Single(Lines(error)));
    }
}
