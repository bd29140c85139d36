using Maple.Tokenization;

namespace Maple.Tests.Tokenization;

/// <summary>Loading the vocabulary and merges, and the errors for missing or broken files.</summary>
public sealed class LoadingTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("maple-tokenizer-").FullName;

    static string Vocab => Path.Combine(Fixtures.Tokenizer, "vocab.json");

    static string Merges => Path.Combine(Fixtures.Tokenizer, "merges.txt");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void LoadsClipsVocabulary()
    {
        var tokenizer = ClipTokenizer.FromFiles(Vocab, Merges);
        Assert.Equal(49408, tokenizer.VocabularySize);
        Assert.Same(tokenizer, ClipTokenizer.FromDirectory(Fixtures.Tokenizer));
        Assert.NotSame(tokenizer, ClipTokenizer.FromDirectory(Fixtures.Tokenizer, normalizeToNfc: false));
    }

    [Fact]
    public void MissingVocabularyNamesThePath()
    {
        var missing = Path.Combine(_temp, "no-such-vocab.json");

        var error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFiles(missing, Merges));

        Assert.Equal(missing, error.FileName);
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void MissingMergesNamesThePath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(_temp));
        Assert.Contains(Path.Combine(_temp, "vocab.json"), error.Message);

        File.Copy(Vocab, Path.Combine(_temp, "vocab.json"));
        error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(_temp));
        Assert.Contains(Path.Combine(_temp, "merges.txt"), error.Message);
    }

    [Fact]
    public void MissingFolderIsNamed()
    {
        var missing = Path.Combine(_temp, "absent");
        var error = Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromDirectory(missing));
        Assert.Contains(missing, error.Message);
    }

    [Theory]
    [InlineData("{\"a\": 0,")]
    [InlineData("[\"a\", \"b\"]")]
    [InlineData("{\"a\": \"zero\"}")]
    [InlineData("{}")]
    [InlineData("{\"a\": 0, \"b\": 0}")]
    [InlineData("{\"a\": 7}")]
    [InlineData("{\"a\": 0, \"<|startoftext|>\": 1, \"<|endoftext|>\": 2}")]
    public void MalformedVocabularyNamesThePath(string content)
    {
        var vocab = Path.Combine(_temp, "vocab.json");
        File.WriteAllText(vocab, content);

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFiles(vocab, Merges));

        Assert.Contains(vocab, error.Message);
    }

    [Fact]
    public void MalformedMergesNameThePathAndLine()
    {
        var merges = Path.Combine(_temp, "merges.txt");
        File.WriteAllLines(merges, ["#version: 0.2", "i n", "t h", "oops"]);

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFiles(Vocab, merges));

        Assert.Contains(merges, error.Message);
        Assert.Contains("line 4", error.Message);
    }

    [Fact]
    public void MergesOfUnknownTokensAreNamed()
    {
        var merges = Path.Combine(_temp, "merges.txt");
        File.WriteAllLines(merges, ["#version: 0.2", "i n", "\u4E00\u4E01 \u4E02"]);

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFiles(Vocab, merges));

        Assert.Contains(merges, error.Message);
    }
}
