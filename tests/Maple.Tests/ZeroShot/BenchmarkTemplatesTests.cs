using Maple.Prompting;

namespace Maple.Tests.ZeroShot;

/// <summary>
/// The papers' zero-shot prompts, pinned to the strings of CoOp's trainers/zsclip.py (<c>CUSTOM_TEMPLATES</c>) and
/// trainers/imagenet_templates.py (<c>IMAGENET_TEMPLATES_SELECT</c>), as read from KaiyangZhou/CoOp.
/// </summary>
public sealed class BenchmarkTemplatesTests
{
    [Theory]
    [InlineData("OxfordPets", "a photo of a {}, a type of pet.")]
    [InlineData("OxfordFlowers", "a photo of a {}, a type of flower.")]
    [InlineData("FGVCAircraft", "a photo of a {}, a type of aircraft.")]
    [InlineData("DescribableTextures", "{} texture.")]
    [InlineData("EuroSAT", "a centered satellite photo of {}.")]
    [InlineData("StanfordCars", "a photo of a {}.")]
    [InlineData("Food101", "a photo of {}, a type of food.")]
    [InlineData("SUN397", "a photo of a {}.")]
    [InlineData("Caltech101", "a photo of a {}.")]
    [InlineData("UCF101", "a photo of a person doing {}.")]
    [InlineData("ImageNet", "a photo of a {}.")]
    [InlineData("ImageNetSketch", "a photo of a {}.")]
    [InlineData("ImageNetV2", "a photo of a {}.")]
    [InlineData("ImageNetA", "a photo of a {}.")]
    [InlineData("ImageNetR", "a photo of a {}.")]
    public void EachBenchmarkHasCoOpsTemplate(string dataset, string template) =>
        Assert.Equal(template, PromptTemplates.ForBenchmark(dataset));

    [Fact]
    public void AnyAcceptedSpellingOfTheDatasetWorksAndUnknownNamesAreRefused()
    {
        Assert.Equal("a centered satellite photo of {}.", PromptTemplates.ForBenchmark("eurosat"));
        Assert.Equal("a photo of a {}, a type of pet.", PromptTemplates.ForBenchmark("oxford_pets"));
        Assert.Equal("{} texture.", PromptTemplates.ForBenchmark("dtd"));
        Assert.Equal("a photo of a {}.", PromptTemplates.ForBenchmark("imagenet-a"));
        Assert.Throws<UserInputException>(() => PromptTemplates.ForBenchmark("cifar10"));
    }

    [Fact]
    public void ClassNamesGoInAsCoOpFormatsThem()
    {
        // template.format(c.replace("_", " ")) in zsclip.py
        Assert.Equal("a photo of a person doing Apply Eye Makeup.", PromptTemplates.Format(PromptTemplates.ForBenchmark("UCF101"), "Apply_Eye_Makeup"));
        Assert.Equal("banded texture.", PromptTemplates.Format(PromptTemplates.ForBenchmark("DescribableTextures"), "banded"));
    }

    [Fact]
    public void TheSelectedImageNetSetIsCoOpsSevenInOrder()
    {
        Assert.Equal(
            ["itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.", "a {} in a video game.", "art of the {}.", "a photo of the small {}."],
            PromptTemplates.ImageNetSelect);
        Assert.Same(PromptTemplates.ImageNetSelect, PromptTemplates.Resolve("ImageNet-Select"));
        Assert.All(PromptTemplates.ImageNetSelect, t => Assert.Contains(t, PromptTemplates.ImageNet)); // a subset of CLIP's 80
    }

    [Fact]
    public void LearnersWordClassesWithTheirPrefixAndOnlyZeroShotTakesTemplates()
    {
        using var fixture = new Maple.Tests.Prompting.TinyMapleCase();
        using var zeroShot = PromptLearners.Create(PromptConfig.ZeroShot(), fixture.Clip, fixture.Tokenizer, 0);
        using var coop = PromptLearners.Create(PromptConfig.CoOp(nCtx: 3), fixture.Clip, fixture.Tokenizer, 0);
        Assert.Equal("a photo of a {}.", zeroShot.Template);
        Assert.Equal("X X X {}.", coop.Template);
        Assert.Equal(["X X X sea lion."], coop.PromptTexts(["sea_lion"]));

        using var pets = new PromptedClip(fixture.Clip, zeroShot, fixture.Tokenizer, ["sea_lion", "goldfish"], [PromptTemplates.ForBenchmark("OxfordPets")]);
        Assert.Equal(["a photo of a sea lion, a type of pet.", "a photo of a goldfish, a type of pet."], pets.PromptTexts);
        using var plain = new PromptedClip(fixture.Clip, zeroShot, fixture.Tokenizer, ["sea_lion"]);
        Assert.Equal(["a photo of a sea lion."], plain.PromptTexts);

        var error = Assert.Throws<UserInputException>(() => new PromptedClip(fixture.Clip, coop, fixture.Tokenizer, ["cat"], ["a {}."]));
        Assert.Contains("zero-shot", error.Message);
        Assert.Throws<UserInputException>(() => new PromptedClip(fixture.Clip, zeroShot, fixture.Tokenizer, ["cat"], ["no placeholder"]));
        Assert.Throws<UserInputException>(() => new PromptedClip(fixture.Clip, zeroShot, fixture.Tokenizer, ["cat"], []));
    }
}
