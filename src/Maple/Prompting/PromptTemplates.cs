using Maple.Data;

namespace Maple.Prompting;

/// <summary>
/// Hand-written prompt templates for zero-shot CLIP: <c>{}</c> marks where the class name goes. Class names
/// have their underscores turned into spaces first, as the reference code does
/// (<c>template.format(c.replace("_", " "))</c> in CoOp's zsclip.py).
/// </summary>
public static class PromptTemplates
{
    /// <summary>The marker a template holds where the class name goes.</summary>
    public const string Placeholder = "{}";

    /// <summary>The template used when none is given, CoOp's and MaPLe's zero-shot default.</summary>
    public const string Default = "a photo of a {}.";

    /// <summary>The name of <see cref="ImageNet"/> for <see cref="Resolve"/>.</summary>
    public const string ImageNetName = "imagenet";

    /// <summary>The name of <see cref="ImageNetSelect"/> for <see cref="Resolve"/>.</summary>
    public const string ImageNetSelectName = "imagenet-select";

    /// <summary>
    /// The zero-shot template of each benchmark dataset, by canonical name: CoOp's <c>CUSTOM_TEMPLATES</c>
    /// (trainers/zsclip.py of KaiyangZhou/CoOp; the MaPLe repository's copy is identical). The zero-shot CLIP
    /// numbers of the CoOp, CoCoOp and MaPLe papers come from its <c>ZeroshotCLIP</c> trainer, which uses this one
    /// template per dataset (its <c>ZeroshotCLIP2</c> ensembles <see cref="ImageNetSelect"/> plus this template).
    /// </summary>
    static readonly Dictionary<string, string> BenchmarkTemplates = new(StringComparer.Ordinal)
    {
        ["OxfordPets"] = "a photo of a {}, a type of pet.",
        ["OxfordFlowers"] = "a photo of a {}, a type of flower.",
        ["FGVCAircraft"] = "a photo of a {}, a type of aircraft.",
        ["DescribableTextures"] = "{} texture.",
        ["EuroSAT"] = "a centered satellite photo of {}.",
        ["StanfordCars"] = "a photo of a {}.",
        ["Food101"] = "a photo of {}, a type of food.",
        ["SUN397"] = "a photo of a {}.",
        ["Caltech101"] = "a photo of a {}.",
        ["UCF101"] = "a photo of a person doing {}.",
        ["ImageNet"] = "a photo of a {}.",
        ["ImageNetSketch"] = "a photo of a {}.",
        ["ImageNetV2"] = "a photo of a {}.",
        ["ImageNetA"] = "a photo of a {}.",
        ["ImageNetR"] = "a photo of a {}.",
    };

    /// <summary>
    /// The 7 templates CoOp's prompt-ensembling zero-shot (<c>ZeroshotCLIP2</c>) uses, <c>IMAGENET_TEMPLATES_SELECT</c>
    /// of its trainers/imagenet_templates.py, in its order.
    /// </summary>
    public static IReadOnlyList<string> ImageNetSelect { get; } =
    [
        "itap of a {}.",
        "a bad photo of the {}.",
        "a origami {}.",
        "a photo of the large {}.",
        "a {} in a video game.",
        "art of the {}.",
        "a photo of the small {}.",
    ];

    /// <summary>
    /// The 80 templates of CLIP's prompt engineering for ImageNet (OpenAI's notebook
    /// <c>Prompt_Engineering_for_ImageNet.ipynb</c>), in the notebook's order.
    /// </summary>
    public static IReadOnlyList<string> ImageNet { get; } =
    [
        "a bad photo of a {}.",
        "a photo of many {}.",
        "a sculpture of a {}.",
        "a photo of the hard to see {}.",
        "a low resolution photo of the {}.",
        "a rendering of a {}.",
        "graffiti of a {}.",
        "a bad photo of the {}.",
        "a cropped photo of the {}.",
        "a tattoo of a {}.",
        "the embroidered {}.",
        "a photo of a hard to see {}.",
        "a bright photo of a {}.",
        "a photo of a clean {}.",
        "a photo of a dirty {}.",
        "a dark photo of the {}.",
        "a drawing of a {}.",
        "a photo of my {}.",
        "the plastic {}.",
        "a photo of the cool {}.",
        "a close-up photo of a {}.",
        "a black and white photo of the {}.",
        "a painting of the {}.",
        "a painting of a {}.",
        "a pixelated photo of the {}.",
        "a sculpture of the {}.",
        "a bright photo of the {}.",
        "a cropped photo of a {}.",
        "a plastic {}.",
        "a photo of the dirty {}.",
        "a jpeg corrupted photo of a {}.",
        "a blurry photo of the {}.",
        "a photo of the {}.",
        "a good photo of the {}.",
        "a rendering of the {}.",
        "a {} in a video game.",
        "a photo of one {}.",
        "a doodle of a {}.",
        "a close-up photo of the {}.",
        "a photo of a {}.",
        "the origami {}.",
        "the {} in a video game.",
        "a sketch of a {}.",
        "a doodle of the {}.",
        "a origami {}.",
        "a low resolution photo of a {}.",
        "the toy {}.",
        "a rendition of the {}.",
        "a photo of the clean {}.",
        "a photo of a large {}.",
        "a rendition of a {}.",
        "a photo of a nice {}.",
        "a photo of a weird {}.",
        "a blurry photo of a {}.",
        "a cartoon {}.",
        "art of a {}.",
        "a sketch of the {}.",
        "a embroidered {}.",
        "a pixelated photo of a {}.",
        "itap of the {}.",
        "a jpeg corrupted photo of the {}.",
        "a good photo of a {}.",
        "a plushie {}.",
        "a photo of the nice {}.",
        "a photo of the small {}.",
        "a photo of the weird {}.",
        "the cartoon {}.",
        "art of the {}.",
        "a drawing of the {}.",
        "a photo of the large {}.",
        "a black and white photo of a {}.",
        "the plushie {}.",
        "a dark photo of a {}.",
        "itap of a {}.",
        "graffiti of the {}.",
        "a toy {}.",
        "itap of my {}.",
        "a photo of a cool {}.",
        "a photo of a small {}.",
        "a tattoo of the {}.",
    ];

    /// <summary>
    /// The 60 templates of PromptSRC's <c>trainers/imagenet_templates.py</c> (<c>IMAGENET_TEMPLATES</c>): the 80 of
    /// <see cref="ImageNet"/> without the 20 below, whose frozen text features PromptSRC's text term averages.
    /// </summary>
    public static IReadOnlyList<string> PromptSrc { get; } = ImageNet.Except(
    [
        "a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.", "a photo of the small {}.",
        "a photo of the weird {}.", "the cartoon {}.", "art of the {}.", "a drawing of the {}.", "a photo of the large {}.",
        "a black and white photo of a {}.", "the plushie {}.", "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.",
        "a toy {}.", "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
    ]).ToArray();

    /// <summary>
    /// The zero-shot template of a benchmark dataset (any name <see cref="BenchmarkDatasets.Resolve"/> accepts), as
    /// CoOp's and MaPLe's zero-shot CLIP uses it, e.g. "a centered satellite photo of {}." for EuroSAT.
    /// </summary>
    /// <exception cref="ArgumentException">Not a benchmark dataset's name.</exception>
    public static string ForBenchmark(string dataset) => BenchmarkTemplates[BenchmarkDatasets.Resolve(dataset).Name];

    /// <summary>
    /// A named template set (<c>imagenet</c>: CLIP's 80; <c>imagenet-select</c>: CoOp's 7; case-insensitive) or a
    /// text file with one template per line (blank lines skipped).
    /// </summary>
    /// <param name="nameOrFile">The set's name or the file's path.</param>
    /// <returns>The templates, each checked by <see cref="Validate"/>.</returns>
    /// <exception cref="FileNotFoundException">Neither a known name nor an existing file.</exception>
    /// <exception cref="InvalidDataException">The file holds no template, or a line without <c>{}</c>.</exception>
    public static IReadOnlyList<string> Resolve(string nameOrFile)
    {
        ArgumentNullException.ThrowIfNull(nameOrFile);
        if (string.Equals(nameOrFile, ImageNetName, StringComparison.OrdinalIgnoreCase))
            return ImageNet;
        if (string.Equals(nameOrFile, ImageNetSelectName, StringComparison.OrdinalIgnoreCase))
            return ImageNetSelect;
        if (!File.Exists(nameOrFile))
            throw new FileNotFoundException(
                $"{nameOrFile}: unknown template set (known: {ImageNetName}, {ImageNetSelectName}) and no such file (a file holds one template per line, with {Placeholder} for the class name)",
                nameOrFile);
        var lines = TextList.Read(nameOrFile, "template file");
        if (lines.FirstOrDefault(l => !l.Contains(Placeholder, StringComparison.Ordinal)) is { } bad)
            throw new InvalidDataException($"{nameOrFile}: template \"{bad}\" has no {Placeholder} for the class name");
        return lines;
    }

    /// <summary>Checks that <paramref name="template"/> has a <c>{}</c> for the class name.</summary>
    /// <exception cref="ArgumentException">It has none.</exception>
    public static void Validate(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!template.Contains(Placeholder, StringComparison.Ordinal))
            throw new UserInputException($"template \"{template}\" has no {Placeholder} for the class name");
    }

    /// <summary>The prompt for one class: <paramref name="template"/> with every <c>{}</c> replaced by the class name, underscores as spaces.</summary>
    /// <param name="template">A template holding <c>{}</c>.</param>
    /// <param name="className">The class name, e.g. <c>sea_lion</c>.</param>
    /// <returns>The prompt, e.g. "a photo of a sea lion.".</returns>
    public static string Format(string template, string className)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(className);
        return template.Replace(Placeholder, className.Replace('_', ' '), StringComparison.Ordinal);
    }
}
