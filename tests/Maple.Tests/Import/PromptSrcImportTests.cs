using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>
/// A checkpoint of the PromptSRC authors' trainer (TestData/import/authors-promptsrc.pth.tar-3: the model of the GPA run
/// of tools/parity/generate_promptsrc_fixtures.py, saved in Dassl's layout) imports as PromptSRC prompts holding
/// exactly that run's aggregate.
/// </summary>
public sealed class PromptSrcImportTests
{
    [Fact]
    public void AuthorsCheckpointImportsAsPromptSrcWithTheAggregatedPrompts()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        var output = temp["promptsrc.safetensors"];
        using (var imported = AuthorCheckpointImporter.Import(ImportTestData.File("authors-promptsrc.pth.tar-3"), output, new AuthorImportOptions()))
        {
            Assert.Equal(PromptConfig.PromptSrc(4, 4, 3, "a photo of a"), imported.Config);
            Assert.Equal(3L, imported.Epoch);
            Assert.Equal(3, imported.Entries.Count(e => e.Dropped is { } reason && reason.StartsWith("PromptSRC's frozen zero-shot image encoder", StringComparison.Ordinal)));
            Assert.Equal(2, imported.Entries.Count(e => e.Dropped is { } reason && reason.StartsWith("class-dependent", StringComparison.Ordinal)));
        }

        using var expected = SafetensorsFile.Open(Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "parity", "promptsrc.safetensors"));
        using var checkpoint = PromptCheckpoint.Read(output);
        Assert.Equal(PromptMethod.PromptSrc, checkpoint.Config.Method);
        var names = expected.Entries.Keys.Where(k => k.StartsWith("gpa.final.", StringComparison.Ordinal)).Select(k => k["gpa.final.".Length..]).Order();
        Assert.Equal(names, checkpoint.Tensors.Keys.Order());
        foreach (var (name, value) in checkpoint.Tensors)
            Assert.True(expected.Read($"gpa.final.{name}").equal(value).all().item<bool>(), $"{name} differs from the authors' aggregate");

        using var fixture = new TinyMapleCase();
        using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        Assert.Equal("a photo of a tabby cat.", PromptTemplates.Format(learner.Template, "tabby_cat"));
        using var _ = no_grad();
        Assert.True(prompted.Logits(fixture.Images(0)).isfinite().all().item<bool>());
    }
}
