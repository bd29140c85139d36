namespace Maple.Tests;

/// <summary>Locates the read-only shared fixtures (../shared beside the repository).</summary>
static class Fixtures
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Shared { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures"));

    public static string TinyMaple => Path.Combine(Shared, "tiny-maple");

    public static string TinyMapleModel => Path.Combine(Shared, "tiny-maple", "model");

    public static string Tokenizer => Path.Combine(Shared, "clip-tokenizer");

    public static string Preprocess => Path.Combine(Shared, "preprocess");

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maple.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Maple.sln not found above {AppContext.BaseDirectory}");
    }
}
