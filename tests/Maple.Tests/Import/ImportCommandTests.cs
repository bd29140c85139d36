using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tests.Training;

namespace Maple.Tests.Import;

/// <summary><c>maple import</c>, run in-process.</summary>
public sealed class ImportCommandTests
{
    [Fact]
    public async Task Import_WritesThePromptsWithClassesAndBackbone()
    {
        using var temp = new TempFolder();
        var classes = temp["classes.txt"];
        File.WriteAllLines(classes, ["goldfish", "sea_lion", ""]);
        var output = temp["out/prompt.safetensors"];

        var (code, error) = await CliRunner.RunAsync("import", ImportTestData.File("authors-maple.pth.tar-5"),
            "--output", output, "--ctx-init", "a photo of a", "--classes", classes, "--model", Fixtures.TinyMapleModel);

        Assert.True(code == 0, error);
        using var file = SafetensorsFile.Open(output);
        Assert.Equal(9, file.Entries.Count);
        Assert.Equal("maple", file.Metadata["method"]);
        Assert.Equal("5", file.Metadata["epoch"]);
        Assert.Equal("[\"goldfish\",\"sea_lion\"]", file.Metadata["classnames"]);
        Assert.Equal(Fixtures.TinyMapleModel, file.Metadata["backbone"]);
        Assert.Equal(ClipConfig.FromHuggingFaceFile(Path.Combine(Fixtures.TinyMapleModel, "config.json")).Hash(), file.Metadata["backbone_config_hash"]);
        Assert.Equal(AuthorCheckpointImporter.ImportedFrom, file.Metadata["imported_from"]);
    }

    [Fact]
    public async Task RefusedPickle_ExitsNonZeroNamingTheGlobalAndWritesNothing()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        var malicious = Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "torch", "malicious-system.pt");
        File.Delete("/tmp/maple-pickle-marker-system");

        var (code, error) = await CliRunner.RunAsync("import", malicious, "--output", output);

        Assert.Equal(1, code);
        Assert.Equal($"error: refused to load global posix.system from {malicious}: only tensors and plain containers are allowed", error.Trim());
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
        Assert.False(File.Exists("/tmp/maple-pickle-marker-system"));
    }

    [Fact]
    public async Task BackboneOfOtherWidths_ExitsNonZeroNamingBothAndWritesNothing()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        var backbone = ImportTestData.File("openai-small.pt");

        var (code, error) = await CliRunner.RunAsync("import", ImportTestData.File("authors-maple.pth.tar-5"), "--output", output, "--model", backbone);

        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains($"the prompts' text width is 128 (prompt_learner.ctx [2, 128]), {backbone}'s is 64", error);
        Assert.Contains($"the prompts' vision width is 192 (prompt_learner.proj.weight [192, 128]), {backbone}'s is 128", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task MissingCheckpoint_ExitsNonZeroNamingIt()
    {
        using var temp = new TempFolder();

        var (code, error) = await CliRunner.RunAsync("import", temp["nope.pth.tar-5"], "--output", temp["p.safetensors"]);

        Assert.Equal(1, code);
        Assert.Contains(temp["nope.pth.tar-5"], error);
    }

    [Fact]
    public async Task DefaultOutput_IsPromptSafetensorsInTheWorkingFolder()
    {
        using var temp = new TempFolder();
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = temp.Path;
        try
        {
            var (code, error) = await CliRunner.RunAsync("import", ImportTestData.File("authors-coop.pth.tar-50"));
            Assert.True(code == 0, error);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        using var checkpoint = PromptCheckpoint.Read(temp["prompt.safetensors"]);
        Assert.Equal(PromptMethod.CoOp, checkpoint.Config.Method);
        Assert.Equal("", checkpoint.Config.CtxInit);
    }
}
