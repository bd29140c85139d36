using Maple.Prompting;

namespace Maple.Tests.ZeroShot;

public sealed class PromptTemplatesTests : IDisposable
{
    readonly TempFolder _temp = new();

    [Fact]
    public void ImageNetHas80DistinctTemplatesEachWithOnePlaceholder()
    {
        var templates = PromptTemplates.ImageNet;
        Assert.Equal(80, templates.Count);
        Assert.Equal(80, templates.Distinct(StringComparer.Ordinal).Count());
        Assert.All(templates, t => Assert.Equal(2, t.Split("{}").Length));
        Assert.Equal("a bad photo of a {}.", templates[0]);
        Assert.Equal("a photo of many {}.", templates[1]);
        Assert.Equal("a tattoo of the {}.", templates[^1]);
        Assert.Contains("a photo of a {}.", templates);
    }

    [Fact]
    public void ResolveNamesTheImageNetSetOrReadsAFile()
    {
        Assert.Same(PromptTemplates.ImageNet, PromptTemplates.Resolve("imagenet"));
        Assert.Same(PromptTemplates.ImageNet, PromptTemplates.Resolve("ImageNet"));
        var file = _temp.Write("templates.txt", "a photo of a {}.\n\n  itap of my {}.  \n");
        Assert.Equal(["a photo of a {}.", "itap of my {}."], PromptTemplates.Resolve(file));
    }

    [Fact]
    public void ResolveErrorsNameTheFile()
    {
        var missing = _temp.Combine("nope.txt");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => PromptTemplates.Resolve(missing)).Message);
        var empty = _temp.Write("empty.txt", "\n \n");
        Assert.Contains(empty, Assert.Throws<InvalidDataException>(() => PromptTemplates.Resolve(empty)).Message);
        var noPlaceholder = _temp.Write("bad.txt", "a photo of a {}.\na photo of a cat.\n");
        var error = Assert.Throws<InvalidDataException>(() => PromptTemplates.Resolve(noPlaceholder));
        Assert.Contains(noPlaceholder, error.Message);
        Assert.Contains("a photo of a cat.", error.Message);
    }

    [Fact]
    public void FormatPutsTheClassNameWithSpacesForUnderscores()
    {
        Assert.Equal("a photo of a sea lion.", PromptTemplates.Format(PromptTemplates.Default, "sea_lion"));
        Assert.Equal("the great white shark in a video game.", PromptTemplates.Format("the {} in a video game.", "great_white shark"));
        Assert.Throws<UserInputException>(() => PromptTemplates.Validate("no placeholder"));
    }

    public void Dispose() => _temp.Dispose();
}
