namespace Maple.Tests.Training;

/// <summary>A small ImageFolder of real photos from the shared preprocessing fixtures.</summary>
static class PhotoFolder
{
    static readonly string[][] Classes =
    [
        ["chelsea.png", "chelsea_q75.jpg", "chelsea_gray.png"],
        ["coffee.png", "rocket.jpg", "camera.png"],
        ["astronaut.png", "motorcycle_left.png", "hubble_deep_field.jpg"],
    ];

    public static readonly string[] ClassFolders = ["tabby_cat", "coffee_cup", "astronaut"];

    /// <summary>Writes three classes of three photos under <paramref name="root"/>.</summary>
    public static string Create(string root)
    {
        for (var c = 0; c < Classes.Length; c++)
        {
            var folder = Path.Combine(root, ClassFolders[c]);
            Directory.CreateDirectory(folder);
            foreach (var file in Classes[c])
                File.Copy(Path.Combine(Fixtures.Preprocess, "images", file), Path.Combine(folder, file));
        }
        return root;
    }
}
