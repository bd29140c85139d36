using System.Text.Json;
using Maple.Cli;
using Maple.Tests.Training;

namespace Maple.Tests.Ood;

/// <summary><c>maple ood</c> in-process on small folders of real photos.</summary>
public sealed class OodCommandTests
{
    [Fact]
    public async Task WritesMetricsJsonAndFigures()
    {
        using var temp = new TempFolder();
        var id = PhotoFolder.Create(temp["id"]);
        // Two OOD sets: one with class folders, one flat (labels are ignored either way).
        var textures = temp["ood/textures"];
        Directory.CreateDirectory(Path.Combine(textures, "any"));
        foreach (var file in new[] { "coffee.png", "rocket.jpg" })
            File.Copy(Path.Combine(Fixtures.Preprocess, "images", file), Path.Combine(textures, "any", file));
        var flat = temp["ood/flat"];
        Directory.CreateDirectory(flat);
        foreach (var file in new[] { "astronaut.png", "camera.png", "chelsea.png" })
            File.Copy(Path.Combine(Fixtures.Preprocess, "images", file), Path.Combine(flat, file));

        // Trained prompts with the LoCoOp term, to score with a learned, vision-prompted method.
        Assert.Equal(0, await MapleCommandLine.InvokeAsync(
            ["train", "--model", Fixtures.TinyMapleModel, "--data", id, "--output", temp["run"], "--depth", "3", "--epochs", "1",
             "--batch-size", "3", "--locoop-lambda", "0.25", "--precision", "fp32"]));

        foreach (var (score, prompts) in new[] { ("glmcm", temp["run/prompt.safetensors"]), ("energy", null) })
        {
            var output = temp[$"out-{score}/results.json"];
            string[] args = ["ood", "--model", Fixtures.TinyMapleModel, "--id", id, "--ood", textures, flat, "--score", score,
                "--output", output, "--batch-size", "4", "--precision", "fp32"];
            if (prompts is not null)
                args = [.. args, "--prompts", prompts];
            Assert.Equal(0, await MapleCommandLine.InvokeAsync(args));

            using var json = JsonDocument.Parse(File.ReadAllText(output));
            var root = json.RootElement;
            Assert.Equal(score, root.GetProperty("score").GetProperty("name").GetString());
            Assert.Equal(9, root.GetProperty("id").GetProperty("count").GetInt32());
            Assert.Equal(3, root.GetProperty("id").GetProperty("classes").GetInt32());
            var sets = root.GetProperty("ood").EnumerateArray().ToList();
            Assert.Equal(["textures", "flat"], sets.Select(s => s.GetProperty("name").GetString()));
            Assert.Equal([2, 3], sets.Select(s => s.GetProperty("count").GetInt32()));
            foreach (var metric in new[] { "auroc", "aupr", "fpr95" })
            {
                var values = sets.Select(s => s.GetProperty(metric).GetDouble()).ToList();
                Assert.All(values, v => Assert.InRange(v, 0, 1));
                Assert.Equal(values.Average(), root.GetProperty("average").GetProperty(metric).GetDouble(), 12);
            }
            Assert.Equal(prompts is null ? "zeroshot" : "maple", root.GetProperty("method").GetString());
            Assert.Equal("fp32 (as requested)", root.GetProperty("precision").GetString());
            if (score == "glmcm")
                Assert.Equal(0.5, root.GetProperty("score").GetProperty("lambda").GetDouble());

            Assert.True(new FileInfo(temp[$"out-{score}/results.roc.png"]).Length > 1000);
            Assert.True(new FileInfo(temp[$"out-{score}/results.scores.png"]).Length > 1000);
            Assert.Empty(Directory.GetFiles(temp[$"out-{score}"], "*.tmp"));
        }
    }

    [Fact]
    public async Task BadScoreIsOneClearError()
    {
        using var temp = new TempFolder();
        var id = PhotoFolder.Create(temp["id"]);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(1, await MapleCommandLine.InvokeAsync(
                ["ood", "--model", Fixtures.TinyMapleModel, "--id", id, "--ood", id, "--score", "msp", "--output", temp["r.json"]]));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains("msp", error.ToString());
    }
}
